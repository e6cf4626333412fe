/*
 * settings_table.c - the one declaration of every setting.
 *
 * Names of the per-user keys are those of the panel documentation (and of
 * offen/docker-volume-backup, see SPEC.md); admin keys are SPEC.md's plus
 * our own, documented here.  Keep groups together: the README reference is
 * printed in table order.
 */
#include "settings.h"

#define U	SET_USER
#define A	SET_ADMIN
#define S	SET_SECRET

const struct setting_def settings_table[] = {
	/* Admin: the queue and the servers. */
	{ .name = "REDIS_URL", .type = SET_URL, .flags = A | S,
	  .def = "redis://127.0.0.1:6379/0", .group = "Admin: queue",
	  .help = "Redis server: redis://[user:password@]host:port/db, "
	    "unix:///path/redis.sock, or redis-sentinel://[user:password@]"
	    "host:port[,host:port...]/MASTER_NAME[/db] (ask the sentinels "
	    "for the primary; follow failovers)" },
	{ .name = "REDIS_REPLICA_WAIT", .type = SET_DURATION, .flags = A,
	  .def = "2s", .group = "Admin: queue",
	  .help = "with redis-sentinel://: how long an enqueue, a job start "
	    "or a job's end waits for a replica to confirm it (WAIT 1) "
	    "before it fails and is retried; 0: do not wait" },
	{ .name = "NODE", .type = SET_STRING, .flags = A,
	  .group = "Admin: queue",
	  .help = "queue this server's workers consume; users are routed to "
	    "the node that hosts them (default: the host name)" },
	{ .name = "WORKER_CONCURRENCY", .type = SET_INT, .flags = A,
	  .def = "2", .min = 1, .max = 256, .group = "Admin: queue",
	  .help = "jobs one backup-worker runs at once" },
	{ .name = "JOB_LEASE_SECONDS", .type = SET_INT, .flags = A,
	  .def = "60", .min = 5, .max = 86400, .group = "Admin: queue",
	  .help = "a job whose worker stops heartbeating for this long is run "
	    "again elsewhere" },
	{ .name = "JOB_MAX_ATTEMPTS", .type = SET_INT, .flags = A,
	  .def = "3", .min = 1, .max = 100, .group = "Admin: queue",
	  .help = "attempts before a job is failed for good" },
	{ .name = "JOB_RETRY_BACKOFF", .type = SET_DURATION, .flags = A,
	  .def = "30s", .group = "Admin: queue",
	  .help = "delay before the first retry; doubles with each attempt "
	    "(capped at 1h)" },
	{ .name = "JOB_RETENTION_DAYS", .type = SET_INT, .flags = A,
	  .def = "7", .min = 1, .max = 3650, .group = "Admin: queue",
	  .help = "days finished job records stay readable in Redis" },
	{ .name = "JOB_TIMEOUT", .type = SET_DURATION, .flags = A,
	  .def = "24h", .group = "Admin: queue",
	  .help = "a backup still running after this long is stopped: its "
	    "dump tools and source reader are killed, nothing is left at its "
	    "destinations, and it fails for good without a retry (0: no "
	    "limit)" },
	{ .name = "MAX_BACKUP_SIZE", .type = SET_SIZE, .flags = A,
	  .def = "0", .group = "Admin: queue",
	  .help = "largest archive (tar stream before compression) one "
	    "backup of a user may write, e.g. 50G; a backup that grows past "
	    "it fails for good and leaves nothing at its destinations (0: no "
	    "limit)" },
	{ .name = "WORKER_SHUTDOWN_GRACE", .type = SET_DURATION, .flags = A,
	  .def = "5m", .group = "Admin: queue",
	  .help = "on SIGTERM, how long running jobs may finish before they "
	    "are aborted and handed back" },
	{ .name = "USERS_DIR", .type = SET_STRING, .flags = A,
	  .def = "/etc/panel-backup/users", .group = "Admin: queue",
	  .help = "one <user>.env per panel user" },
	{ .name = "MIN_SCHEDULE_INTERVAL_SECONDS", .type = SET_INT,
	  .flags = A, .def = "900", .min = 0, .max = 31536000,
	  .group = "Admin: queue",
	  .help = "a user's BACKUP_CRON_EXPRESSION may not fire more often "
	    "than this (0: any)" },
	{ .name = "MISFIRE_GRACE", .type = SET_DURATION, .flags = A,
	  .def = "6h", .group = "Admin: queue",
	  .help = "a due time missed while no scheduler ran still fires once "
	    "if this recent" },
	{ .name = "METRICS_LISTEN", .type = SET_STRING, .flags = A,
	  .group = "Admin: queue",
	  .help = "ADDR:PORT where backup-scheduler serves /metrics and /healthz "
	    "(empty: off)" },

	/* Admin: sources and local policy. */
	{ .name = "JOB_NICE", .type = SET_INT, .flags = A,
	  .def = "0", .min = 0, .max = 19, .group = "Admin: yield",
	  .help = "CPU nice value of each job process and its dump tools "
	    "(0: as the worker)" },
	{ .name = "JOB_IO_CLASS", .type = SET_ENUM, .flags = A,
	  .def = "none", .choices = "none,best-effort,idle",
	  .group = "Admin: yield",
	  .help = "I/O scheduling class of each job process and its dump "
	    "tools (ionice): none (as the worker), best-effort, idle" },
	{ .name = "JOB_IO_LEVEL", .type = SET_INT, .flags = A,
	  .def = "7", .min = 0, .max = 7, .group = "Admin: yield",
	  .help = "priority within JOB_IO_CLASS=best-effort: 0 highest, 7 "
	    "lowest" },
	{ .name = "JOB_UPLOAD_LIMIT_KBPS", .type = SET_INT, .flags = A,
	  .def = "0", .min = 0, .max = 100000000, .group = "Admin: yield",
	  .help = "upload bandwidth of one job in KiB/s, all its "
	    "destinations together (0: no limit)" },
	{ .name = "NODE_UPLOAD_LIMIT_KBPS", .type = SET_INT, .flags = A,
	  .def = "0", .min = 0, .max = 100000000, .group = "Admin: yield",
	  .help = "upload bandwidth in KiB/s shared by all jobs of one "
	    "backup-worker (0: no limit)" },
	{ .name = "JOB_READ_LIMIT_KBPS", .type = SET_INT, .flags = A,
	  .def = "0", .min = 0, .max = 100000000, .group = "Admin: yield",
	  .help = "rate at which one job reads its source files, KiB/s "
	    "(0: no limit)" },
	{ .name = "WORKER_MAX_LOAD", .type = SET_STRING, .flags = A,
	  .def = "0", .group = "Admin: yield",
	  .help = "start no job while the 1-minute load average is above "
	    "this (a job taken waits in phase waiting-load; 0: no gate)" },
	{ .name = "WORKER_MAX_IO_PRESSURE", .type = SET_INT, .flags = A,
	  .def = "0", .min = 0, .max = 100, .group = "Admin: yield",
	  .help = "start no job while the I/O pressure (avg10 of \"some\", "
	    "percent) is above this (0: no gate)" },
	{ .name = "WORKER_IO_PRESSURE_FILE", .type = SET_STRING, .flags = A,
	  .def = "/proc/pressure/io", .group = "Admin: yield",
	  .help = "PSI file WORKER_MAX_IO_PRESSURE reads: the server's, or "
	    "the io.pressure of the cgroup that runs the sites" },
	{ .name = "SOURCE_FILES", .type = SET_STRING, .flags = A,
	  .def = "/home/{user}/files", .group = "Admin: sources",
	  .help = "path template of the Files source ({user} is replaced)" },
	{ .name = "SOURCE_EMAILS", .type = SET_STRING, .flags = A,
	  .def = "/var/mail/{user}", .group = "Admin: sources",
	  .help = "path template of the Emails source" },
	{ .name = "SOURCE_VHOSTS", .type = SET_STRING, .flags = A,
	  .def = "/etc/panel-backup/vhosts/{user}", .group = "Admin: sources",
	  .help = "path template of the VirtualHosts source" },
	{ .name = "SOURCE_MINECRAFT", .type = SET_STRING, .flags = A,
	  .def = "/home/{user}/minecraft/data", .group = "Admin: sources",
	  .help = "path template of the Minecraft Data source" },
	{ .name = "MYSQL_SOCKET", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "MariaDB/MySQL socket for database dumps (or MYSQL_HOST)" },
	{ .name = "MYSQL_HOST", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources", .help = "MariaDB/MySQL host" },
	{ .name = "MYSQL_PORT", .type = SET_INT, .flags = A, .def = "3306",
	  .min = 1, .max = 65535, .group = "Admin: sources",
	  .help = "MariaDB/MySQL port" },
	{ .name = "MYSQL_DEFAULTS_FILE", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "option file with the admin's dump credentials "
	    "([client] user=, password=); passed as --defaults-extra-file" },
	{ .name = "MYSQL_DATABASES", .type = SET_STRING, .flags = A,
	  .def = "{user}_%", .group = "Admin: sources",
	  .help = "which databases are a user's: a LIKE pattern ({user} "
	    "replaced); also the exact name {user}" },
	{ .name = "MYSQL_DUMP_COMMAND", .type = SET_STRING, .flags = A,
	  .def = "mariadb-dump", .group = "Admin: sources",
	  .help = "dump program (mariadb-dump or mysqldump)" },
	{ .name = "MYSQL_CLIENT_COMMAND", .type = SET_STRING, .flags = A,
	  .def = "mariadb", .group = "Admin: sources",
	  .help = "client listing the databases (mariadb or mysql)" },
	{ .name = "POSTGRES_HOST", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "PostgreSQL host or socket directory for database dumps" },
	{ .name = "POSTGRES_PORT", .type = SET_INT, .flags = A,
	  .def = "5432", .min = 1, .max = 65535, .group = "Admin: sources",
	  .help = "PostgreSQL port" },
	{ .name = "POSTGRES_USER", .type = SET_STRING, .flags = A,
	  .def = "postgres", .group = "Admin: sources",
	  .help = "PostgreSQL role used for dumps" },
	{ .name = "POSTGRES_PASSFILE", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "a .pgpass file with that role's password (PGPASSFILE)" },
	{ .name = "POSTGRES_DATABASES", .type = SET_STRING, .flags = A,
	  .def = "{user}_%", .group = "Admin: sources",
	  .help = "which databases are a user's: a LIKE pattern" },
	{ .name = "MSSQL_SQLCMD", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "sqlcmd program for MsSQL dumps (empty: MsSQL off)" },
	{ .name = "MSSQL_SERVER", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources", .help = "MsSQL server (sqlcmd -S)" },
	{ .name = "MSSQL_USER", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources", .help = "MsSQL login (sqlcmd -U)" },
	{ .name = "MSSQL_PASSWORD", .type = SET_STRING, .flags = A | S,
	  .group = "Admin: sources",
	  .help = "MsSQL password, passed as SQLCMDPASSWORD" },
	{ .name = "MSSQL_DATABASES", .type = SET_STRING, .flags = A,
	  .def = "{user}_%", .group = "Admin: sources",
	  .help = "which databases are a user's: a LIKE pattern" },
	{ .name = "MSSQL_BACKUP_DIR", .type = SET_STRING, .flags = A,
	  .group = "Admin: sources",
	  .help = "folder both the server and the worker see, where "
	    "BACKUP DATABASE writes .bak files" },
	{ .name = "USER_ACCOUNTS", .type = SET_ENUM, .flags = A,
	  .def = "auto", .choices = "auto,system,none",
	  .group = "Admin: sources",
	  .help = "read a user's sources with the privileges of the system "
	    "account of the same name: auto (when it exists), system "
	    "(always; missing account fails), none" },
	{ .name = "TEMP_DIR", .type = SET_STRING, .flags = A,
	  .def = "/var/tmp/panel-backup", .group = "Admin: sources",
	  .help = "private folder for database dump spools (0700)" },
	{ .name = "STATE_DIR", .type = SET_STRING, .flags = A,
	  .def = "/var/lib/panel-backup", .group = "Admin: sources",
	  .help = "known SSH host keys and other small state" },

	/* Admin: policy. */
	{ .name = "ALLOW_ENCRYPTION", .type = SET_BOOL, .flags = A,
	  .def = "false", .group = "Admin: policy",
	  .help = "users may encrypt their backups (GPG_*, AGE_*)" },
	{ .name = "ALLOW_CUSTOM_FILENAME", .type = SET_BOOL, .flags = A,
	  .def = "false", .group = "Admin: policy",
	  .help = "users may set BACKUP_FILENAME" },
	{ .name = "ARCHIVE_ROOT", .type = SET_STRING, .flags = A,
	  .def = "/var/backups/panel-backup/{user}", .group = "Admin: policy",
	  .help = "folder template ({user}) a user's BACKUP_ARCHIVE is "
	    "relative to; where a user can write it, local backups are "
	    "written as that user (docs/security.md)" },
	{ .name = "HTTP_CONNECT_TO", .type = SET_STRING, .flags = A,
	  .group = "Admin: policy",
	  .help = "HOST:PORT:ADDR:PORT[,...]: connect there instead, for "
	    "every libcurl connection (as curl --connect-to)" },
	{ .name = "HTTP_CA_FILE", .type = SET_STRING, .flags = A,
	  .group = "Admin: policy",
	  .help = "extra PEM CA bundle trusted besides the system's" },
	{ .name = "OUTBOUND_ALLOW", .type = SET_LIST, .flags = A,
	  .group = "Admin: policy",
	  .help = "addresses connections for users may reach although the "
	    "outbound policy refuses them (loopback, private, link-local, "
	    "metadata): IPs, CIDRs, host names, or * for any" },
	{ .name = "ALLOW_INSTANCE_CREDENTIALS", .type = SET_BOOL, .flags = A,
	  .def = "false", .group = "Admin: policy",
	  .help = "users without keys may use this host's AWS instance role "
	    "(AWS_IAM_ROLE_ENDPOINT) or Azure managed identity "
	    "(AZURE_IMDS_ENDPOINT), only with the admin's endpoint" },
	{ .name = "AZURE_IMDS_ENDPOINT", .type = SET_URL, .flags = A,
	  .def = "http://169.254.169.254/metadata/identity/oauth2/token",
	  .group = "Admin: policy",
	  .help = "managed-identity token endpoint for Azure" },
	{ .name = "NOTIFICATION_TEMPLATE_DIR", .type = SET_STRING,
	  .flags = A, .group = "Admin: policy",
	  .help = "folder with title_success, body_success, title_failure, "
	    "body_failure templates overriding the defaults (restore and "
	    "verify jobs: title_restore_success, body_verify_failure, ...)" },
	{ .name = "NOTIFIER_CONCURRENCY", .type = SET_INT, .flags = A,
	  .def = "8", .min = 1, .max = 256, .group = "Admin: policy",
	  .help = "events backup-notifier sends at once; one user's events "
	    "go one at a time, so a user whose service hangs holds one "
	    "sender, never the others' notifications" },
	{ .name = "ADMIN_NOTIFICATION_URLS", .type = SET_LIST,
	  .flags = A | S, .group = "Admin: policy",
	  .help = "shoutrrr service URLs of the hosting company's own "
	    "channel: told of every user's jobs as ADMIN_NOTIFICATION_LEVEL "
	    "says" },
	{ .name = "ADMIN_NOTIFICATION_LEVEL", .type = SET_ENUM, .flags = A,
	  .def = "error", .choices = "error,info", .group = "Admin: policy",
	  .help = "error: every user's failures and missed runs; info: "
	    "every user's runs too" },
	{ .name = "NOTIFICATION_TIMEOUT", .type = SET_DURATION, .flags = A,
	  .def = "30s", .group = "Admin: policy",
	  .help = "time limit of one notification request" },
	{ .name = "LOG_LEVEL", .type = SET_ENUM, .flags = A | SET_CI,
	  .def = "info", .choices = "debug,info,warn,error",
	  .group = "Admin: policy", .help = "least severe level logged" },

	/* Both: compression levels (admin default, user override). */
	{ .name = "GZIP_LEVEL", .type = SET_INT, .flags = A | U, .def = "6",
	  .min = 1, .max = 12, .group = "Archive",
	  .help = "gzip level (libdeflate: 1-12; 6 as gzip)" },
	{ .name = "BACKUP_UPLOAD_LIMIT_KBPS", .type = SET_INT, .flags = U,
	  .def = "0", .min = 0, .max = 100000000, .group = "Archive",
	  .help = "upload rate of this user's backups in KiB/s; only lowers "
	    "the admin's JOB_UPLOAD_LIMIT_KBPS (0: the admin's)" },
	{ .name = "BACKUP_NICE", .type = SET_INT, .flags = U,
	  .def = "0", .min = 0, .max = 19, .group = "Archive",
	  .help = "CPU nice value of this user's backups; only above the "
	    "admin's JOB_NICE (0: the admin's)" },
	{ .name = "ZSTD_LEVEL", .type = SET_INT, .flags = A | U, .def = "3",
	  .min = 1, .max = 19, .group = "Archive", .help = "zstd level" },
	{ .name = "TZ", .type = SET_STRING, .flags = A | U,
	  .group = "Schedule",
	  .help = "IANA time zone of the schedule and of file names "
	    "(default: the system's)" },

	/* Per user: schedule, sources, archive. */
	{ .name = "BACKUP_CRON_EXPRESSION", .type = SET_CRON, .flags = U,
	  .def = "@daily", .group = "Schedule",
	  .help = "when backups run (robfig/cron v3: 5 or 6 fields, "
	    "@daily, @every 6h, CRON_TZ= prefix)" },
	{ .name = "BACKUP_SOURCES", .type = SET_LIST, .flags = U,
	  .def = "All", .group = "Schedule",
	  .help = "All, Files, Emails, MySQL Databases, Postgres Databases, "
	    "MsSQL Databases, VirtualHosts, Minecraft Data" },
	{ .name = "BACKUP_EXCLUDE_REGEXP", .type = SET_REGEXP, .flags = U,
	  .group = "Schedule",
	  .help = "skip every path this Go RE2 regexp matches (full source "
	    "path)" },
	{ .name = "BACKUP_COMPRESSION", .type = SET_ENUM, .flags = U,
	  .def = "gz", .choices = "gz,zst,none", .group = "Archive",
	  .help = "gz, zst or none" },
	{ .name = "GZIP_PARALLELISM", .type = SET_INT, .flags = U,
	  .def = "1", .min = 0, .max = 256, .group = "Archive",
	  .help = "gzip threads (0: every core)" },
	{ .name = "BACKUP_FILENAME", .type = SET_STRING, .flags = U,
	  .def = "backup-%Y-%m-%dT%H-%M-%S.{{ .Extension }}",
	  .group = "Archive",
	  .help = "file name with strftime verbs and {{ .Extension }} "
	    "(needs ALLOW_CUSTOM_FILENAME)" },

	/* Per user: incremental chains. */
	{ .name = "BACKUP_INCREMENTAL", .type = SET_BOOL, .flags = U,
	  .def = "false", .group = "Chains",
	  .help = "true: a run stores only what is new or changed since the "
	    "previous backup of its chain (an incremental named "
	    "inc-NNNN-hhhhhhhh-<full name>); every archive of a chain ends "
	    "with .panel-backup/chain and .panel-backup/paths" },
	{ .name = "BACKUP_FULL_INTERVAL", .type = SET_DURATION, .flags = U,
	  .def = "7d", .group = "Chains",
	  .help = "with BACKUP_INCREMENTAL: a full backup starts a new chain "
	    "once the chain's full is this old (0: only by "
	    "BACKUP_CHAIN_LENGTH)" },
	{ .name = "BACKUP_CHAIN_LENGTH", .type = SET_INT, .flags = U,
	  .def = "0", .min = 0, .max = 9999, .group = "Chains",
	  .help = "with BACKUP_INCREMENTAL: a full backup after this many "
	    "incrementals (0: no limit)" },

	/* Per user: local destination and pruning. */
	{ .name = "BACKUP_ARCHIVE", .type = SET_STRING, .flags = U,
	  .group = "Local",
	  .help = "local directory destination, relative to ARCHIVE_ROOT (a "
	    "leading / is the root; .. is refused)" },
	{ .name = "BACKUP_RETENTION_DAYS", .type = SET_INT, .flags = U,
	  .def = "-1", .min = -1, .max = 36500, .group = "Pruning",
	  .help = "delete restore points (each full and each incremental) "
	    "older than this many days; an archive a kept one needs (its "
	    "full, the incrementals before it) stays (-1: never)" },
	{ .name = "BACKUP_PRUNING_LEEWAY", .type = SET_DURATION, .flags = U,
	  .def = "1m", .group = "Pruning",
	  .help = "added to the cutoff, so a backup barely younger than the "
	    "retention also goes" },
	{ .name = "BACKUP_PRUNING_PREFIX", .type = SET_STRING, .flags = U,
	  .group = "Pruning",
	  .help = "only names with this prefix, and the incrementals of "
	    "those, are pruned (default: names matching BACKUP_FILENAME)" },

	/* Per user: encryption (at most one). */
	{ .name = "GPG_PASSPHRASE", .type = SET_STRING, .flags = U | S,
	  .group = "Encryption", .help = "symmetric OpenPGP (AES-256)" },
	{ .name = "GPG_PUBLIC_KEY_RING", .type = SET_STRING, .flags = U,
	  .group = "Encryption",
	  .help = "armored public keys; every key is a recipient" },
	{ .name = "AGE_PASSPHRASE", .type = SET_STRING, .flags = U | S,
	  .group = "Encryption", .help = "age scrypt passphrase" },
	{ .name = "AGE_PUBLIC_KEYS", .type = SET_LIST, .flags = U,
	  .group = "Encryption",
	  .help = "age1..., ssh-ed25519 ... or ssh-rsa ... recipients" },

	/* Per user: notifications. */
	{ .name = "NOTIFICATION_URLS", .type = SET_LIST, .flags = U | S,
	  .group = "Notifications", .help = "shoutrrr service URLs" },
	{ .name = "NOTIFICATION_LEVEL", .type = SET_ENUM, .flags = U,
	  .def = "error", .choices = "error,info", .group = "Notifications",
	  .help = "error: failures only; info: every run" },

	/* Per user: S3. */
	{ .name = "AWS_S3_BUCKET_NAME", .type = SET_STRING, .flags = U,
	  .group = "S3", .help = "bucket (enables S3)" },
	{ .name = "AWS_S3_PATH", .type = SET_STRING, .flags = U,
	  .group = "S3", .help = "key prefix, no leading slash" },
	{ .name = "AWS_ENDPOINT", .type = SET_STRING, .flags = A | U,
	  .def = "s3.amazonaws.com", .group = "S3",
	  .help = "host[:port], without scheme; the admin's value is the "
	    "default of users who set none" },
	{ .name = "AWS_ENDPOINT_PROTO", .type = SET_ENUM, .flags = U,
	  .def = "https", .choices = "http,https", .group = "S3",
	  .help = "http or https" },
	{ .name = "AWS_ENDPOINT_INSECURE", .type = SET_BOOL, .flags = U,
	  .def = "false", .group = "S3",
	  .help = "skip TLS certificate verification" },
	{ .name = "AWS_ENDPOINT_CA_CERT", .type = SET_STRING,
	  .flags = U | SET_IN_FILES, .group = "S3",
	  .help = "CA certificate: a path inside your files, or PEM text" },
	{ .name = "AWS_STORAGE_CLASS", .type = SET_STRING, .flags = U,
	  .group = "S3", .help = "storage class header" },
	{ .name = "AWS_ACCESS_KEY_ID", .type = SET_STRING, .flags = U,
	  .group = "S3", .help = "access key id" },
	{ .name = "AWS_SECRET_ACCESS_KEY", .type = SET_STRING, .flags = U | S,
	  .group = "S3", .help = "secret access key" },
	{ .name = "AWS_IAM_ROLE_ENDPOINT", .type = SET_URL, .flags = A | U,
	  .def = "http://169.254.169.254", .group = "S3",
	  .help = "admin only: the instance-profile credentials endpoint, "
	    "used when ALLOW_INSTANCE_CREDENTIALS is on (a user's is "
	    "refused)" },
	{ .name = "AWS_PART_SIZE", .type = SET_INT, .flags = U, .def = "16",
	  .min = 5, .max = 5120, .group = "S3",
	  .help = "multipart part size in MB" },

	/* Per user: WebDAV. */
	{ .name = "WEBDAV_URL", .type = SET_URL, .flags = U,
	  .group = "WebDAV", .help = "server URL (enables WebDAV)" },
	{ .name = "WEBDAV_PATH", .type = SET_STRING, .flags = U, .def = "/",
	  .group = "WebDAV", .help = "folder below the URL" },
	{ .name = "WEBDAV_USERNAME", .type = SET_STRING, .flags = U,
	  .group = "WebDAV", .help = "user name" },
	{ .name = "WEBDAV_PASSWORD", .type = SET_STRING, .flags = U | S,
	  .group = "WebDAV", .help = "password" },
	{ .name = "WEBDAV_URL_INSECURE", .type = SET_BOOL, .flags = U,
	  .def = "false", .group = "WebDAV",
	  .help = "skip TLS certificate verification" },

	/* Per user: SFTP. */
	{ .name = "SSH_HOST_NAME", .type = SET_STRING, .flags = U,
	  .group = "SFTP", .help = "server (enables SFTP)" },
	{ .name = "SSH_PORT", .type = SET_INT, .flags = U, .def = "22",
	  .min = 1, .max = 65535, .group = "SFTP", .help = "port" },
	{ .name = "SSH_USER", .type = SET_STRING, .flags = U,
	  .group = "SFTP", .help = "login" },
	{ .name = "SSH_PASSWORD", .type = SET_STRING, .flags = U | S,
	  .group = "SFTP", .help = "password" },
	{ .name = "SSH_IDENTITY_FILE", .type = SET_STRING,
	  .flags = U | SET_IN_FILES, .group = "SFTP",
	  .help = "private key, a path inside your files" },
	{ .name = "SSH_IDENTITY_PASSPHRASE", .type = SET_STRING,
	  .flags = U | S, .group = "SFTP", .help = "passphrase of that key" },
	{ .name = "SSH_REMOTE_PATH", .type = SET_STRING, .flags = U,
	  .group = "SFTP", .help = "remote folder (created when missing)" },
	{ .name = "SSH_HOST_KEY_FINGERPRINT", .type = SET_STRING, .flags = U,
	  .group = "SFTP",
	  .help = "pinned SHA256:... host key fingerprint (default: trust "
	    "on first use)" },

	/* Per user: Azure Blob. */
	{ .name = "AZURE_STORAGE_ACCOUNT_NAME", .type = SET_STRING,
	  .flags = U, .group = "Azure", .help = "storage account" },
	{ .name = "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", .type = SET_STRING,
	  .flags = U | S, .group = "Azure", .help = "account key" },
	{ .name = "AZURE_STORAGE_CONNECTION_STRING", .type = SET_STRING,
	  .flags = U | S, .group = "Azure", .help = "connection string" },
	{ .name = "AZURE_STORAGE_CONTAINER_NAME", .type = SET_STRING,
	  .flags = U, .group = "Azure", .help = "container (enables Azure)" },
	{ .name = "AZURE_STORAGE_PATH", .type = SET_STRING, .flags = U,
	  .group = "Azure", .help = "blob name prefix" },
	{ .name = "AZURE_STORAGE_ENDPOINT", .type = SET_STRING,
	  .flags = A | U,
	  .def = "https://{{ .AccountName }}.blob.core.windows.net/",
	  .group = "Azure", .help = "endpoint template; the admin's value "
	    "is the default of users who set none" },
	{ .name = "AZURE_STORAGE_ACCESS_TIER", .type = SET_ENUM, .flags = U,
	  .choices = "Hot,Cool,Cold,Archive", .group = "Azure",
	  .help = "access tier of new blobs" },

	/* Per user: Dropbox. */
	{ .name = "DROPBOX_REMOTE_PATH", .type = SET_STRING, .flags = U,
	  .group = "Dropbox", .help = "folder (app-folder relative for App "
	    "folder apps)" },
	{ .name = "DROPBOX_APP_KEY", .type = SET_STRING, .flags = U,
	  .group = "Dropbox", .help = "app key" },
	{ .name = "DROPBOX_APP_SECRET", .type = SET_STRING, .flags = U | S,
	  .group = "Dropbox", .help = "app secret" },
	{ .name = "DROPBOX_REFRESH_TOKEN", .type = SET_STRING, .flags = U | S,
	  .group = "Dropbox", .help = "refresh token (enables Dropbox)" },
	{ .name = "DROPBOX_CONCURRENCY_LEVEL", .type = SET_INT, .flags = U,
	  .def = "2", .min = 1, .max = 16, .group = "Dropbox",
	  .help = "upload requests in flight (above 6: no gain)" },
};

const size_t settings_count = sizeof(settings_table) / sizeof(settings_table[0]);
