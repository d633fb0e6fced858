build/obj/system/mctxd.o: system/mctxd.c
