/*
 * sys_array: the two operations the configuration models do on their
 * growable arrays of plain structs.  Allocation failure aborts, as in
 * sys_buf: a daemon that cannot grow a config array cannot go on.
 */
#ifndef MCTX_SYS_ARRAY_H
#define MCTX_SYS_ARRAY_H

#include <stddef.h>

/* Appends one zeroed element of SIZE bytes to the array *ARRP of *N
 * elements; returns it.  ARRP is the address of the array pointer. */
void *array_grow(void *arrp, size_t *n, size_t size);
/* Removes element I, keeping the order of the others. */
void array_remove(void *arr, size_t *n, size_t size, size_t i);

#endif
