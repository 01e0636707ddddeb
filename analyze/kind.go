package analyze

// Kind is a root-cause kind. The vocabulary is fixed and documented in the
// README; it is part of the JSON contract.
type Kind string

// The cause vocabulary.
const (
	UpstreamTimeout         Kind = "upstream_timeout"
	FPMWorkerExhaustion     Kind = "fpm_worker_exhaustion"
	FPMDown                 Kind = "fpm_down"
	FPMRequestTerminated    Kind = "fpm_request_terminated"
	WorkerCrash             Kind = "worker_crash"
	OOMKill                 Kind = "oom_kill"
	SlowQueries             Kind = "slow_queries"
	DBUnresponsive          Kind = "db_unresponsive"
	SessionLock             Kind = "session_lock"
	SlowExternalCall        Kind = "slow_external_call"
	MySQLDown               Kind = "mysql_down"
	MySQLTooManyConnections Kind = "mysql_too_many_connections"
	UpstreamHeaderTooBig    Kind = "upstream_header_too_big"
	InvalidUpstreamResponse Kind = "invalid_upstream_response"
	BackendDown             Kind = "backend_down"
	SocketPermission        Kind = "socket_permission"
	DNSFailure              Kind = "dns_failure"
	UpstreamTLS             Kind = "upstream_tls"
	Unknown                 Kind = "unknown"
)

// Kinds is the whole vocabulary, in the order the README documents it.
var Kinds = []Kind{
	UpstreamTimeout, FPMWorkerExhaustion, FPMDown, FPMRequestTerminated,
	WorkerCrash, OOMKill, SlowQueries, DBUnresponsive, SessionLock, SlowExternalCall,
	MySQLDown, MySQLTooManyConnections,
	UpstreamHeaderTooBig, InvalidUpstreamResponse, BackendDown,
	SocketPermission, DNSFailure, UpstreamTLS, Unknown,
}
