package pipeline

import (
	"strings"
	"testing"
)

// TestConfiguration: the first lines of the servers' configuration files
// are configuration; logs in a format logcause does not read are not.
func TestConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name   string
		text   string
		config bool
	}{
		{"nginx.conf", "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tlog_format main '$remote_addr - $remote_user [$time_local] '\n\t\t'\"$request\" $status';\n\tinclude /etc/nginx/conf.d/*.conf;\n}\n", true},
		{"php-fpm pool", "; Start a new pool named 'www'.\n[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = dynamic\npm.max_children = 5\nphp_admin_value[error_log] = /var/log/fpm-php.www.log\n", true},
		{"php-fpm.conf", ";;;;;;;;;;;;;;;;;;;;;\n; FPM Configuration ;\n;;;;;;;;;;;;;;;;;;;;;\n[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /var/log/php8.2-fpm.log\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n", true},
		{"my.cnf", "# The MariaDB configuration file\n[client-server]\nsocket = /run/mysqld/mysqld.sock\n\n[mysqld]\nskip-name-resolve\nmax_connections = 100\n!includedir /etc/mysql/conf.d/\n", true},
		{"logfmt", "time=2026-11-23T14:00:50+01:00 level=error msg=\"upstream timed out\" status=504\ntime=2026-11-23T14:00:51+01:00 level=info msg=ok status=200\n", false},
		{"pipe-separated access log", "custom|format|502\ncustom|format|200\n", false},
		{"a MySQL slow log of another variant", "# Time: 261123 14:00:50\n# User@Host: shop[shop] @ localhost []\n# Query_time: 3.000 Lock_time: 0.000 Rows_sent: 1\nuse shop;\nSET timestamp=1795442450;\nselect sleep(3);\n", false},
		{"comments only", "# nothing\n; here\n", false},
		{"a setting among log lines", "max_connections = 100\n2026-11-23 14:00:50 something happened\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sample [][]byte
			for _, l := range strings.Split(tc.text, "\n") {
				sample = append(sample, []byte(l))
			}
			if got := configuration(sample); got != tc.config {
				t.Errorf("configuration = %v, want %v", got, tc.config)
			}
		})
	}
}
