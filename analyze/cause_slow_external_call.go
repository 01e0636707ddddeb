package analyze

// slowExternalCall: an outbound call — HTTP with curl or a stream, a
// socket to another network service — held the PHP workers: the traced
// requests waited in it.
var slowExternalCall = holderRule(SlowExternalCall,
	"a slow outbound call held the PHP workers",
	[]string{
		"Set timeouts on outbound calls, well under nginx's fastcgi_read_timeout: curl_setopt CURLOPT_CONNECTTIMEOUT => 2 and CURLOPT_TIMEOUT => 5 for curl; a stream context ['http' => ['timeout' => 5]] for file_get_contents() and fopen(); default_socket_timeout in php.ini (60 s by default) bounds the others.",
		"Find the service the calls went to (the frames' file and line in the evidence), and call it outside the request (a queue, a cache of its answers) if it may be slow.",
	},
	holdExternal, "an outbound call (HTTP or another network service) that did not answer in time")
