package analyze

import (
	"fmt"
	"strings"
)

// upstreamHeaderTooBig: the response headers did not fit nginx's buffer.
var upstreamHeaderTooBig = rule{
	kind:     UpstreamHeaderTooBig,
	describe: "the upstream's response headers exceeded nginx's buffer",
	advice: []string{
		"Raise fastcgi_buffer_size / proxy_buffer_size (e.g. 16k or 32k) and fastcgi_buffers / proxy_buffers to match, or stop the application from sending huge headers (cookies, debug headers).",
	},
	reads: []signal{sigHeaderTooBig},
	match: func(e evidenceSet) *Cause {
		return e.lineCause(linkHeaderTooBig, "upstream sent too big header", "the response headers did not fit the buffer")
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		c.Settings = cfg.nginx(e.sig[sigHeaderTooBig], "buffer_size")
		if len(c.Settings) == 0 {
			return nil, nil
		}
		found = append(found, "the response header must fit "+quotes(c.Settings))
		name := c.Settings[0].Name
		recs = append(recs, fmt.Sprintf("Raise %s to 16k or 32k there, with %s to match, or stop the application from sending huge headers (cookies, debug headers).",
			c.Settings[0].Quote, strings.TrimSuffix(name, "_size")+"s"))
		return found, recs
	},
}
