build/obj/system/sys_loop.o: system/sys_loop.c system/sys_loop.h
system/sys_loop.h:
