package analyze

// dnsFailure: the upstream's name did not resolve.
var dnsFailure = rule{
	kind:     DNSFailure,
	describe: "nginx could not resolve the upstream's name",
	advice: []string{
		"Check the `resolver` directive and the upstream's DNS name; prefer an upstream{} block with fixed addresses for critical backends.",
	},
	reads: []signal{sigDNS},
	match: func(e evidenceSet) *Cause {
		return e.lineCause(linkDNS, "… could not be resolved", "the upstream name did not resolve")
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		if cfg.stack.Nginx == nil {
			return nil, nil
		}
		for _, s := range []string{"resolver", "resolver_timeout"} {
			c.Settings = append(c.Settings, setting(cfg.stack.Nginx.Get(s)))
		}
		return []string{quotes(c.Settings)}, nil
	},
}
