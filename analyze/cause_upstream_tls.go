package analyze

// upstreamTLS: the TLS handshake with the upstream failed.
var upstreamTLS = rule{
	kind:     UpstreamTLS,
	describe: "the TLS handshake with the upstream failed",
	advice: []string{
		"Check the upstream's certificate (expiry, name) and proxy_ssl_* settings: proxy_ssl_server_name on, proxy_ssl_name, proxy_ssl_trusted_certificate.",
	},
	reads: []signal{sigTLS},
	match: func(e evidenceSet) *Cause {
		return e.lineCause(linkTLS, "SSL … while SSL handshaking to upstream", "the TLS handshake failed")
	},
	noConfig: "the handshake fails on the upstream's certificate or protocols, which no configuration logcause reads holds; nginx's proxy_ssl_* settings are not quoted yet",
}
