build/obj/system/sys_log.o: system/sys_log.c system/sys_log.h \
 system/sys_msgs.def contexts/ctx_msgs.def failover/fo_msgs.def \
 replication/repl_msgs.def vpn/vpn_msgs.def
system/sys_log.h:
system/sys_msgs.def:
contexts/ctx_msgs.def:
failover/fo_msgs.def:
replication/repl_msgs.def:
vpn/vpn_msgs.def:
