package analyze

// sessionLock: requests queued on a PHP session's lock. PHP's file
// sessions (and others with locking) hold the session exclusively from
// session_start() until the request ends or calls session_write_close():
// concurrent requests of one session run one at a time, each holding a
// PHP-FPM worker while it waits in session_start().
var sessionLock = holderRule(SessionLock,
	"requests queued on a PHP session lock and held the PHP workers",
	[]string{
		"Release the session as soon as the request has read what it needs: call session_write_close() right after session_start() in pages that do not write the session (or session_start(['read_and_close' => true])), and before any slow work in those that do.",
		"Find the pages and clients that send concurrent requests of one session (polling, several tabs, parallel XHR) in the evidence below; a session store without long-held locks (e.g. Redis with locking bounded by redis.session.lock_wait_time) limits the queue.",
	},
	holdSession, "the session's lock, held by another request of the same session")
