#include "system/sys_array.h"

#include <stdlib.h>
#include <string.h>

void *array_grow(void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;
	char *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		abort();
	memset(p + *n * size, 0, size);
	*arr = p;
	return p + (*n)++ * size;
}

void array_remove(void *arr, size_t *n, size_t size, size_t i)
{
	char *p = arr;
	memmove(p + i * size, p + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}
