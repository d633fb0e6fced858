build/obj/system/sys_buf.o: system/sys_buf.c system/sys_buf.h
system/sys_buf.h:
