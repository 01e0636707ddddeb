package analyze

import (
	"fmt"
	"slices"
)

// dbUnresponsive: the database accepted or answered nothing, whatever it
// logged (a frozen server, an I/O stall, a hung host): PHP's traced
// requests waited in opening the connection — the handshake — while the
// PHP-FPM pool filled. A database that stops answering logs nothing of it;
// PHP's side is the witness.
var dbUnresponsive = holderRule(DBUnresponsive,
	"the database stopped answering and held the PHP workers",
	[]string{
		"Give PHP's database connections a timeout, so that a database that stops answering fails requests fast instead of holding every worker: PDO::ATTR_TIMEOUT => 3 in the PDO options (mysqli: MYSQLI_OPT_CONNECT_TIMEOUT), and mysqlnd.net_read_timeout in php.ini for answers.",
		"Find why the database stopped answering at that time: a frozen or swapping mysqld, an I/O stall (`iostat -x`, the kernel log), a full disk, a backup holding a global lock (`SHOW PROCESSLIST`).",
	},
	holdDBConnect, "opening a database connection: the database accepted or answered nothing")

// quoteHeldPool quotes what bounds a request that waits in a PHP-FPM
// pool: the pool's size and request_terminate_timeout. When nothing
// bounds it, the advice gains a recommendation that names the setting.
func quoteHeldPool(e evidenceSet, c *Cause, cfg configured, advice []string) (found, recs []string) {
	pools := cfg.pools(join(e.sig[sigTimeout], e.sig[sigBacklogFull]), join(e.sig[sigMaxChildren], e.sig[sigTooSlow]))
	if len(pools) == 0 {
		return nil, nil
	}
	c.Settings = poolSettings(pools, "pm.max_children", "request_terminate_timeout")
	for _, p := range pools {
		if t := p.Get("request_terminate_timeout"); t.Value == "0" {
			recs = append(recs, fmt.Sprintf("Cap what one held request may cost in pool [%s]: %s never stops it; set it a little above nginx's fastcgi_read_timeout, so that a worker is given back when nobody waits for its answer any more.", p.Name, t.String()))
		}
	}
	found = []string{"the pool: " + quotes(c.Settings)}
	if len(recs) == 0 {
		return found, nil
	}
	return found, append(slices.Clone(advice), recs...)
}
