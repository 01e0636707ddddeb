package analyze

// invalidUpstreamResponse: the upstream's answer was not valid HTTP or
// FastCGI, or a proxied backend closed the connection without one.
var invalidUpstreamResponse = rule{
	kind:     InvalidUpstreamResponse,
	describe: "the upstream sent an invalid response",
	advice: []string{
		"Check that nginx talks the upstream's protocol (fastcgi_pass to PHP-FPM, proxy_pass http:// vs https://) and that the application sends nothing before its headers.",
	},
	reads: []signal{sigInvalidResponse, sigReset},
	match: func(e evidenceSet) *Cause {
		_, proxiedResets := e.split(sigReset) // PHP-FPM's are a worker that died: worker_crash
		invalid := join(e.sig[sigInvalidResponse], proxiedResets)
		if invalid.n == 0 {
			return nil
		}
		stem, why := "upstream sent invalid …", "the upstream's answer was not valid HTTP/FastCGI"
		if proxiedResets.n > 0 {
			stem, why = "upstream prematurely closed connection / upstream sent invalid …",
				"the proxied backend closed the connection or answered something that is not HTTP"
		}
		n := e.linked(linkInvalid)
		return e.cause(n, false, e.matched(n, stem, why), list{}, invalid)
	},
	noConfig: "what the upstream sent is its own fault; no setting of nginx's changes it",
}
