package fleet

// recordsDict is the zstd dictionary of the records' messages (its ID
// recordsDictID in each frame): what their JSON repeats from one record to
// the next — the keys of each kind of record and the nulls of the others,
// the usual log paths, nginx's and PHP-FPM's phrases, the start of a
// browser's user agent — so that a message of one record, most of a quiet
// host's, does not pay for them each time (a gateway-error access line:
// ~470 bytes compressed without it, ~250 with it). The records of a
// message whose JSON it does not match still compress, only less.
//
// It is part of the wire, as a message's format is: never edit it. Another
// dictionary takes another ID, and the consumer keeps reading this one.
const recordsDict = `{"records":[{"Time":"2026-01-01T00:00:00Z","Kind":"syslog","Path":"/var/log/kern.log","Offset":0,"Text":"kernel: Out of memory: Killed process  (php-fpm8.2) total-vm:kB, anon-rss:kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:kB oom_score_adj:0","Access":null,"Error":null,"FPM":null,"FPMSlow":null,"Slow":null,"MySQL":null,"Syslog":{"Host":"","Program":"kernel","PID":0,"Message":"","Event":"oom_kill","VictimPID":0,"Comm":"php-fpm8.2","AnonRSSKB":0,"TotalVMKB":0,"Unit":""},"Apache":null,"HAProxy":null},` +
	`{"Time":"2026-01-01T00:00:00Z","Kind":"mysql_error","Path":"/var/log/mysql/error.log","Offset":0,"Text":" 0 [Warning] Aborted connection  to db: '' user: '' host: 'localhost' (Got an error reading communication packets)","Access":null,"Error":null,"FPM":null,"FPMSlow":null,"Slow":null,"MySQL":{"Level":"Warning","Code":"","Subsystem":"","ThreadID":0,"Message":"","Event":"aborted_connection"},"Syslog":null,"Apache":null,"HAProxy":null},` +
	`{"Time":"2026-01-01T00:00:00Z","Kind":"fpm_error","Path":"/var/log/php8.2-fpm.log","Offset":0,"Text":"[01-Jan-2026 00:00:00] WARNING: [pool www] child  said into stderr: \"NOTICE: PHP message: PHP Warning:  Undefined variable $ in /var/www/html/index.php on line \"","Access":null,"Error":null,"FPM":{"Level":"WARNING","Pool":"www","Child":0,"Message":"server reached pm.max_children setting (5), consider raising it"},"FPMSlow":null,"Slow":null,"MySQL":null,"Syslog":null,"Apache":null,"HAProxy":null},` +
	`{"Time":"2026-01-01T00:00:00Z","Kind":"nginx_error","Path":"/var/log/nginx/error.log","Offset":0,"Text":"2026/01/01 00:00:00 [error] 0#0: *0 connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: , server: , request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"\", referrer: \"https://\"","Access":null,"Error":{"Level":"error","PID":0,"TID":0,"Connection":0,"Message":"upstream timed out (110: Connection timed out)","Errno":111,"Action":"reading response header from upstream","Client":"","Server":"","Request":"GET / HTTP/1.1","Upstream":"fastcgi://unix:/run/php/php8.2-fpm.sock:","Host":"","Referrer":"https://"},"FPM":null,"FPMSlow":null,"Slow":null,"MySQL":null,"Syslog":null,"Apache":null,"HAProxy":null},` +
	`{"Time":"2026-01-01T00:00:00Z","Kind":"nginx_access","Path":"/var/log/nginx/access.log","Offset":0,"Text":" - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 502 157 \"https://\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/ Safari/537.36\"","Access":{"RemoteAddr":"","Method":"GET","URI":"/","Protocol":"HTTP/1.1","Status":502,"BodyBytesSent":157,"HTTPReferer":"https://","HTTPUserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/ Safari/537.36","RequestTime":-1,"UpstreamAddr":"unix:/run/php/php8.2-fpm.sock","UpstreamStatus":"502","UpstreamResponseTime":"0.000"},"Error":null,"FPM":null,"FPMSlow":null,"Slow":null,"MySQL":null,"Syslog":null,"Apache":null,"HAProxy":null}]}`

// recordsDictID names recordsDict in a frame: a private ID, out of the
// ranges zstd keeps for registered dictionaries.
const recordsDictID = 0x6c630001
