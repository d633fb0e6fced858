build/obj/system/mctx.o: system/mctx.c
