package analyze

// recommendations holds the fix for each cause kind. They name the real
// directives; later versions fill in the values read from the user's config.
var recommendations = map[Kind][]string{
	UpstreamTimeout: {
		"Find what made the upstream slow in this window (PHP-FPM slow log, MySQL slow log) before raising timeouts.",
		"If the slow requests are legitimate, raise fastcgi_read_timeout / proxy_read_timeout in nginx to match PHP's max_execution_time, and keep request_terminate_timeout in the FPM pool just above it.",
	},
	FPMWorkerExhaustion: {
		"Raise pm.max_children in the PHP-FPM pool if memory allows: max_children ≈ (RAM for PHP) / (average worker RSS, see `ps -o rss -C php-fpm`).",
		"Find what held the workers busy: enable request_slowlog_timeout = 5s and slowlog in the pool, and check the MySQL slow log for the same minutes.",
		"Raise listen.backlog in the pool (and net.core.somaxconn) so short bursts queue instead of failing with EAGAIN.",
	},
	FPMDown: {
		"Check that PHP-FPM runs and listens where nginx connects: `systemctl status php*-fpm`, and compare the pool's `listen =` with nginx's fastcgi_pass.",
		"If it was a restart or reload, schedule reloads with `systemctl reload` (graceful) instead of restart, and check php-fpm.log for why it stopped.",
	},
	FPMRequestTerminated: {
		"Find why these requests ran so long (PHP-FPM slow log, MySQL slow log).",
		"Keep request_terminate_timeout above PHP's max_execution_time and nginx's fastcgi_read_timeout in step with both.",
	},
	WorkerCrash: {
		"Look for the crash cause: core dumps (`coredumpctl`), the kernel log for OOM kills, and PHP extensions updated recently.",
		"Set pm.max_requests (e.g. 500) to recycle workers that leak memory.",
	},
	OOMKill: {
		"Lower pm.max_children or memory_limit so that max_children × worker RSS fits in RAM, or add memory.",
	},
	SlowQueries: {
		"Index or rewrite the slow query classes listed in the evidence (EXPLAIN them), and cap them with max_execution_time.",
	},
	MySQLDown: {
		"Check the MySQL/MariaDB error log for why mysqld stopped (crash, OOM kill, shutdown).",
	},
	MySQLTooManyConnections: {
		"Raise max_connections in MySQL/MariaDB, or lower pm.max_children × connections per request; avoid persistent connections per worker.",
	},
	UpstreamHeaderTooBig: {
		"Raise fastcgi_buffer_size / proxy_buffer_size (e.g. 16k or 32k) and fastcgi_buffers / proxy_buffers to match, or stop the application from sending huge headers (cookies, debug headers).",
	},
	InvalidUpstreamResponse: {
		"Check that nginx talks the upstream's protocol (fastcgi_pass to PHP-FPM, proxy_pass http:// vs https://) and that the application sends nothing before its headers.",
	},
	BackendDown: {
		"Check that every server in the upstream block is up and listening; `no live upstreams` follows earlier connect failures that marked the servers down (max_fails / fail_timeout).",
	},
	SocketPermission: {
		"Set listen.owner, listen.group and listen.mode in the PHP-FPM pool so that nginx's user (e.g. www-data) may connect to the socket; check SELinux if they already match.",
	},
	DNSFailure: {
		"Check the `resolver` directive and the upstream's DNS name; prefer an upstream{} block with fixed addresses for critical backends.",
	},
	UpstreamTLS: {
		"Check the upstream's certificate (expiry, name) and proxy_ssl_* settings: proxy_ssl_server_name on, proxy_ssl_name, proxy_ssl_trusted_certificate.",
	},
	Unknown: {
		"Include the nginx error log and php-fpm.log of the same host and period, and raise nginx's error_log level to at least `error`.",
	},
}
