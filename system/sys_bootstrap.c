#include "system/sys_bootstrap.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/sys_log.h"

static int fail(char *err, size_t errlen, const char *file, int line,
		const char *fmt, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, what);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	return -1;
}

/* Copies an optional (or required) string setting with a length check. */
static int get_str(config_t *cfg, const char *path, const char *key,
		   char *dst, size_t len, bool required, char *err,
		   size_t errlen)
{
	config_setting_t *s = config_lookup(cfg, key);
	if (!s) {
		if (required)
			return fail(err, errlen, path, 1,
				    "missing required setting '%s'", key);
		return 0;
	}
	const char *v = config_setting_get_string(s);
	if (!v)
		return fail(err, errlen, path, config_setting_source_line(s),
			    "setting '%s' must be a string", key);
	if (strlen(v) >= len)
		return fail(err, errlen, path, config_setting_source_line(s),
			    "setting '%s' is too long", key);
	snprintf(dst, len, "%s", v);
	return 0;
}

static bool valid_linux_name(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 16 && !strchr(s, '/') && !strchr(s, ' ') &&
	       !strchr(s, ':') && strcmp(s, ".") && strcmp(s, "..");
}

int bootstrap_load(const char *path, struct bootstrap *b, char *err,
		   size_t errlen)
{
	config_t cfg;
	int rc = -1;

	memset(b, 0, sizeof *b);
	b->log_level = LOG_SEV_INFO;
	b->kernel = true;
	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s:0: cannot read file: %s",
				 path, strerror(errno ? errno : ENOENT));
		else
			snprintf(err, errlen, "%s:%d: %s", path,
				 config_error_line(&cfg),
				 config_error_text(&cfg));
		goto out;
	}
	if (get_str(&cfg, path, "unit", b->unit, sizeof b->unit, true, err, errlen) ||
	    get_str(&cfg, path, "state_dir", b->state_dir, sizeof b->state_dir, true, err, errlen) ||
	    get_str(&cfg, path, "console_socket", b->console_socket, sizeof b->console_socket, true, err, errlen) ||
	    get_str(&cfg, path, "console_group", b->console_group, sizeof b->console_group, false, err, errlen) ||
	    get_str(&cfg, path, "context_console_dir", b->context_console_dir, sizeof b->context_console_dir, false, err, errlen) ||
	    get_str(&cfg, path, "netns_prefix", b->netns_prefix, sizeof b->netns_prefix, true, err, errlen) ||
	    get_str(&cfg, path, "netns", b->netns, sizeof b->netns, false, err, errlen) ||
	    get_str(&cfg, path, "log_file", b->log_file, sizeof b->log_file, false, err, errlen))
		goto out;

	config_setting_t *kv = config_lookup(&cfg, "kernel");
	if (kv) {
		if (config_setting_type(kv) != CONFIG_TYPE_BOOL) {
			fail(err, errlen, path, config_setting_source_line(kv),
			     "'%s' must be true or false", "kernel");
			goto out;
		}
		b->kernel = config_setting_get_bool(kv);
	}
	config_setting_t *lv = config_lookup(&cfg, "log_level");
	if (lv) {
		int level = -1;
		if (config_setting_type(lv) == CONFIG_TYPE_INT)
			level = config_setting_get_int(lv);
		else if (config_setting_get_string(lv))
			level = log_sev_parse(config_setting_get_string(lv));
		if (level < 0 || level > 7) {
			fail(err, errlen, path, config_setting_source_line(lv),
			     "log_level must be 0..7 or a level name (%s)",
			     "emergencies..debugging");
			goto out;
		}
		b->log_level = level;
	}
	/* The prefix becomes part of namespace names: keep it path-safe. */
	if (strchr(b->netns_prefix, '/')) {
		config_setting_t *s = config_lookup(&cfg, "netns_prefix");
		fail(err, errlen, path, config_setting_source_line(s),
		     "netns_prefix may not contain '%s'", "/");
		goto out;
	}

	config_setting_t *ifs = config_lookup(&cfg, "interfaces");
	if (ifs) {
		if (!config_setting_is_list(ifs) && !config_setting_is_array(ifs)) {
			fail(err, errlen, path, config_setting_source_line(ifs),
			     "'%s' must be a list of { name; link; }", "interfaces");
			goto out;
		}
		int n = config_setting_length(ifs);
		b->ifaces = calloc((size_t)n + 1, sizeof *b->ifaces);
		if (!b->ifaces)
			abort();
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(ifs, (unsigned)i);
			const char *name = NULL, *link = NULL;
			int line = config_setting_source_line(e);
			if (!config_setting_is_group(e) ||
			    !config_setting_lookup_string(e, "name", &name) ||
			    !config_setting_lookup_string(e, "link", &link)) {
				fail(err, errlen, path, line,
				     "interface entries need string 'name' and 'link'%s", "");
				goto out;
			}
			if (strlen(name) >= BOOT_NAME_MAX) {
				fail(err, errlen, path, line, "interface name too long%s", "");
				goto out;
			}
			if (!valid_linux_name(link)) {
				fail(err, errlen, path, line,
				     "'%s' is not a valid Linux link name (1-15 chars, no '/', ' ' or ':')",
				     link);
				goto out;
			}
			for (size_t k = 0; k < b->nifaces; k++)
				if (!strcmp(b->ifaces[k].name, name)) {
					fail(err, errlen, path, line,
					     "interface '%s' listed twice", name);
					goto out;
				}
			snprintf(b->ifaces[b->nifaces].name, BOOT_NAME_MAX, "%s", name);
			snprintf(b->ifaces[b->nifaces].link, 16, "%s", link);
			b->nifaces++;
		}
	}
	rc = 0;
out:
	config_destroy(&cfg);
	if (rc)
		bootstrap_free(b);
	return rc;
}

void bootstrap_free(struct bootstrap *b)
{
	free(b->ifaces);
	b->ifaces = NULL;
	b->nifaces = 0;
}

const char *bootstrap_link_for(const struct bootstrap *b, const char *name)
{
	for (size_t i = 0; i < b->nifaces; i++)
		if (strcmp(b->ifaces[i].name, name) == 0)
			return b->ifaces[i].link;
	return valid_linux_name(name) ? name : NULL;
}
