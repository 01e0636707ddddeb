package patterns

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The MySQL, MariaDB and Percona Server slow query log (catalog §4.1–4.4).
// An entry:
//
//	# Time: 2026-11-23T14:02:10.123456Z
//	# User@Host: app[app] @ localhost [127.0.0.1]  Id:    42
//	# Query_time: 2.475469  Lock_time: 0.000287 Rows_sent: 10  Rows_examined: 3145718
//	use shop;
//	SET timestamp=1700748128;
//	SELECT …;
//
// and the header the server writes whenever it opens the file (at start-up,
// and at FLUSH LOGS, which is how the log is rotated):
//
//	/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:
//	Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
//	Time                 Id Command    Argument
//
// Framing (StartsRecord, per physical line): a record starts at a "# Time:"
// line, at a "# User@Host:" line and at a header's first line ("…, Version:
// … started with:"). A "# Time:" line followed by "# User@Host:" is thus a
// record of its own: the parser remembers its time and returns ErrNoEvent,
// and the entry that follows takes it. The parser keeps state from record to
// record: use one per file, fed in file order.
//
// Time. Event.Time of an entry is the time the server wrote it, which is
// just after the query ended; the query ran from Time − QueryTime to Time.
// It comes from, in this order:
//
//  1. the "# Time:" in effect: the entry's own, or the last one before it in
//     the file. MySQL ≤ 5.6 and MariaDB print "# Time:" only when the second
//     changes, so one stamp is shared by the entries up to the next one. The
//     ISO form (5.7+) carries "Z" or an offset; the old form
//     ("YYMMDD H:MM:SS", hour space-padded) has no zone and is read in the
//     parser's location. A header (restart) ends the "# Time:" in effect.
//  2. "SET timestamp=N;" (epoch seconds). It is the same second as the
//     "# Time:" in MySQL ≤ 5.7 and MariaDB; in MySQL 8.0 it is the query's
//     start, but 8.0 prints "# Time:" for every entry, so 8.0 entries never
//     fall back to it.
//  3. the time of the previous event of the file: the entry was written
//     after it (a lower bound, for old logs that print neither).
//
// An entry with none of these (old replication-thread logs that never print
// a time) is malformed: it cannot be placed in time.
//
// Header records yield an Event with Restart set and Server (the first line
// without ". started with:"); Extra holds tcp_port, unix_socket or
// named_pipe. A header carries no time: a header after an event of the file
// means the server reopened the log in the middle of it — it restarted (or
// logs were flushed without rotating the file) — at some moment after that
// event, whose time the Restart event takes (a lower bound). A header before
// any event of the file yields ErrNoEvent: it is what every rotation writes
// at the top of the new file, so it is no sign of a restart, and no time is
// known for it yet (the parser cannot look ahead).
//
// Attributes: the consecutive lines that start with "# " (or are "#") hold
// "Key: value" pairs, separated by one or two spaces; a value is the next
// word, empty when the next word is itself a "Key:" (MariaDB's
// "Schema:   QC_hit: No"). Known keys fill the typed fields — Id and
// Thread_id (ThreadID), Schema, Query_time and Lock_time (seconds; integers
// in 5.0), Rows_sent, Rows_examined, Rows_affected, Bytes_sent — and every
// other pair goes to Extra under its key in lower case (snake_case, as the
// servers spell keys with underscores): "qc_hit", "innodb_io_r_ops",
// "log_slow_rate_limit", log_slow_extra's "read_key", "start", "end"…
// MariaDB's "# explain:" lines are kept in Extra["explain"], joined by "\n";
// text that is no pair ("# No InnoDB statistics available for this query")
// is skipped. A known key whose value is not a number goes to Extra too; an
// Extra key that would collide with a JSON field of the event (such as
// "query_time" with a bad number, or a "# User:" attribute) gets the prefix
// "attr_".
//
// User@Host is "priv_user[user] @ host [ip]", either part may be empty
// ("[SQL_SLAVE] @  []", "meow[meow] @  [1.2.3.8]"). User is the bracketed
// user name the client logged in with (the priv_user part when there is no
// bracket); a different priv_user is kept in Extra["priv_user"].
//
// After the attributes: "use db;" lines set Schema (and, because the server
// writes "use" only when the database changes, the Schema of the following
// entries of the file that carry no Schema attribute); "SET timestamp=…;"
// lines, also with last_insert_id= and insert_id=, are consumed;
// "# administrator command: Quit;" makes Query "administrator command:
// Quit"; anything else is the statement, as written (trailing ';'
// included), up to the end of the record: several lines, possibly with
// lines that start with '#'. A "use db;" with no statement after it is the
// statement. Fingerprint and QueryID (see Fingerprint) are set for every
// entry with a statement.
//
// The string fields are substrings of Event.Text, but for a Schema carried
// over from an earlier "use" (a copy, made once per change of database),
// Extra["explain"], and Fingerprint and QueryID, which a parser shares
// between the entries of a class.

var (
	errSlowTime    = malformed(KindMySQLSlow, `bad "# Time:" stamp`)
	errSlowNoTime  = malformed(KindMySQLSlow, `entry without a time: no "# Time:", no "SET timestamp=" and no earlier entry in the file`)
	errSlowNoEntry = malformed(KindMySQLSlow, `statement without "# User@Host:" or other entry header`)
)

var (
	prefixSlowTime    = []byte("# Time:")
	prefixSlowUser    = []byte("# User@Host:")
	prefixSlowAdmin   = []byte("# administrator command:")
	prefixSlowExplain = []byte("# explain:")
	suffixSlowStarted = []byte(". started with:")
	sepSlowVersion    = []byte(", Version: ")
	prefixSlowTCP     = []byte("Tcp port: ")
	sepSlowUnixSocket = []byte("Unix socket: ")
	sepSlowNamedPipe  = []byte("Named Pipe: ")
)

// slowServerLine reports whether l is the first line of the header:
// "PROGRAM, Version: VERSION (COMMENT). started with:".
func slowServerLine(l []byte) bool {
	l = bytes.TrimRight(l, " \r")
	return bytes.HasSuffix(l, suffixSlowStarted) && bytes.Contains(l, sepSlowVersion)
}

func slowStarts(l []byte) bool {
	return bytes.HasPrefix(l, prefixSlowTime) || bytes.HasPrefix(l, prefixSlowUser) || slowServerLine(l)
}

// slowMatches accepts the lines that start records, when well formed. It
// does not accept the other header and attribute lines ("# Query_time:",
// "Tcp port:"): Detect counts a line that a kind accepts but that starts no
// record as breaking that kind's record, whereas it counts them as
// continuation lines when no kind accepts them.
func slowMatches(l []byte) bool {
	l = stripCR(l)
	switch {
	case bytes.HasPrefix(l, prefixSlowTime):
		_, _, ok := parseSlowStamp(l, len(prefixSlowTime), time.UTC)
		return ok
	case bytes.HasPrefix(l, prefixSlowUser):
		return bytes.IndexByte(l[len(prefixSlowUser):], '@') >= 0
	}
	return slowServerLine(l)
}

// parseSlowStamp reads the "# Time:" stamp that follows l[i:] (after
// spaces): "2026-11-23T14:02:10.123456Z" (or +HH:MM, or no zone) or
// "261123 14:02:10" / "081127  8:51:20". It returns the instant in UTC and
// the index after the stamp.
func parseSlowStamp(l []byte, i int, loc *time.Location) (time.Time, int, bool) {
	for i < len(l) && l[i] == ' ' {
		i++
	}
	var y, hh, mm, ss int
	var mo time.Month
	var d int
	if i+10 <= len(l) && l[i+4] == '-' { // ISO 8601
		if i+19 > len(l) || l[i+7] != '-' || l[i+10] != 'T' || l[i+13] != ':' || l[i+16] != ':' {
			return time.Time{}, 0, false
		}
		var ok [6]bool
		y, ok[0] = num4(l, i)
		var m int
		m, ok[1] = num2(l, i+5)
		d, ok[2] = num2(l, i+8)
		hh, ok[3] = num2(l, i+11)
		mm, ok[4] = num2(l, i+14)
		ss, ok[5] = num2(l, i+17)
		if ok != [6]bool{true, true, true, true, true, true} {
			return time.Time{}, 0, false
		}
		mo = time.Month(m)
		i += 19
	} else { // YYMMDD H:MM:SS
		if i+6 > len(l) {
			return time.Time{}, 0, false
		}
		yy, ok1 := num2(l, i)
		m, ok2 := num2(l, i+2)
		dd, ok3 := num2(l, i+4)
		if !ok1 || !ok2 || !ok3 {
			return time.Time{}, 0, false
		}
		y, mo, d = 2000+yy, time.Month(m), dd
		if yy >= 70 { // as the error-log scanner reads them: 70-99 are 1970-1999
			y = 1900 + yy
		}
		j := i + 6
		if j == len(l) || l[j] != ' ' {
			return time.Time{}, 0, false
		}
		for j < len(l) && l[j] == ' ' {
			j++
		}
		h, e := parseDecimal(l, j, 2)
		if e <= j || e+6 > len(l) || l[e] != ':' || l[e+3] != ':' {
			return time.Time{}, 0, false
		}
		var ok4, ok5 bool
		mm, ok4 = num2(l, e+1)
		ss, ok5 = num2(l, e+4)
		if !ok4 || !ok5 {
			return time.Time{}, 0, false
		}
		hh = int(h)
		i = e + 6
	}
	if !validDateTime(y, mo, d, hh, mm, ss) {
		return time.Time{}, 0, false
	}
	nsec := 0
	if i < len(l) && l[i] == '.' {
		j := i + 1
		scale := 100000000
		for j < len(l) && isDigit(l[j]) {
			if scale > 0 {
				nsec += int(l[j]-'0') * scale
				scale /= 10
			}
			j++
		}
		if j == i+1 {
			return time.Time{}, 0, false
		}
		i = j
	}
	offset, zoned := 0, false
	if i < len(l) && l[i] == 'Z' {
		zoned = true
		i++
	} else if i+6 <= len(l) && (l[i] == '+' || l[i] == '-') && l[i+3] == ':' {
		oh, ok1 := num2(l, i+1)
		om, ok2 := num2(l, i+4)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, 0, false
		}
		offset = oh*3600 + om*60
		if l[i] == '-' {
			offset = -offset
		}
		zoned = true
		i += 6
	}
	if i < len(l) && l[i] != ' ' && l[i] != '\t' {
		return time.Time{}, 0, false
	}
	if zoned {
		t := time.Date(y, mo, d, hh, mm, ss, nsec, time.UTC)
		return t.Add(-time.Duration(offset) * time.Second), i, true
	}
	return time.Date(y, mo, d, hh, mm, ss, nsec, loc).UTC(), i, true
}

// slowSpans is a parsed slow-log record as byte ranges of it.
type slowSpans struct {
	header                   bool // the server's header
	server, tcpPort          span
	socket, pipe             span
	time                     time.Time
	timeSet, timeBad         bool // a "# Time:" line, well formed or not
	entry                    bool // a User@Host line, an attribute pair, SET timestamp, or an admin command
	setTS                    int64
	hasSetTS                 bool
	user, privUser, host, ip span
	schema, useDB            span
	hasSchema, hasUse        bool
	threadID                 int64
	queryTime, lockTime      float64
	rowsSent, rowsExamined   int64
	rowsAffected, bytesSent  int64
	query                    span
	// extra holds the attributes for Extra: the pairs without a typed
	// field (or whose value did not parse), and the explain lines.
	extra []slowPair
}

// nextLine returns the line at rec[i:] without its newline and '\r', and
// the index of the next line.
func nextLine(rec []byte, i int) (line []byte, next int) {
	e := bytes.IndexByte(rec[i:], '\n')
	if e < 0 {
		return stripCR(rec[i:]), len(rec)
	}
	return stripCR(rec[i : i+e]), i + e + 1
}

// isAttrLine reports whether l is a line of the attribute block: "#" or
// "# …".
func isAttrLine(l []byte) bool {
	return len(l) > 0 && l[0] == '#' && (len(l) == 1 || l[1] == ' ' || l[1] == '\t')
}

func isSlowKeyByte(c byte) bool { return c|0x20-'a' < 26 || isDigit(c) || c == '_' }

// nextSlowPair finds the next "Key: value" pair of an attribute line at
// l[i:]. It returns ok false when there is none.
func nextSlowPair(l []byte, i int) (key, val span, next int, ok bool) {
	for i < len(l) {
		for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
			i++
		}
		k := i
		for i < len(l) && isSlowKeyByte(l[i]) {
			i++
		}
		if i > k && i < len(l) && l[i] == ':' {
			key = span{k, i}
			i++
			for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
				i++
			}
			v := i
			for i < len(l) && l[i] != ' ' && l[i] != '\t' {
				i++
			}
			if looksLikeSlowKey(l[v:i]) { // "Schema:   QC_hit: No": empty value
				return key, span{v, v}, v, true
			}
			return key, span{v, i}, i, true
		}
		for i < len(l) && l[i] != ' ' && l[i] != '\t' {
			i++
		}
	}
	return span{}, span{}, i, false
}

// looksLikeSlowKey reports whether w is "Key:".
func looksLikeSlowKey(w []byte) bool {
	if len(w) < 2 || w[len(w)-1] != ':' {
		return false
	}
	for _, c := range w[:len(w)-1] {
		if !isSlowKeyByte(c) {
			return false
		}
	}
	return true
}

// Known attribute keys, lowercased.
const (
	slowKeyOther = iota
	slowKeyQueryTime
	slowKeyLockTime
	slowKeyRowsSent
	slowKeyRowsExamined
	slowKeyRowsAffected
	slowKeyBytesSent
	slowKeyThreadID
	slowKeySchema
)

func slowKey(k []byte) int {
	var b [16]byte
	if len(k) > len(b) {
		return slowKeyOther
	}
	for i, c := range k {
		b[i] = lowerASCII(c)
	}
	switch string(b[:len(k)]) {
	case "query_time":
		return slowKeyQueryTime
	case "lock_time":
		return slowKeyLockTime
	case "rows_sent":
		return slowKeyRowsSent
	case "rows_examined":
		return slowKeyRowsExamined
	case "rows_affected":
		return slowKeyRowsAffected
	case "bytes_sent":
		return slowKeyBytesSent
	case "id", "thread_id":
		return slowKeyThreadID
	case "schema":
		return slowKeySchema
	}
	return slowKeyOther
}

// parseSlowSeconds reads "2.475469" or "2" (MySQL 5.0).
func parseSlowSeconds(b []byte) (float64, bool) {
	var mant int64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case isDigit(c):
			if digits == 18 {
				return slowSecondsSlow(b)
			}
			mant = mant*10 + int64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && i > 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if frac <= 0 {
		return float64(mant), true
	}
	// mant and 10^frac are exact in float64, so the quotient is correctly
	// rounded: the same value strconv.ParseFloat returns.
	return float64(mant) / math.Pow10(frac), true
}

func slowSecondsSlow(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil && v >= 0 && !math.IsInf(v, 0)
}

// parseSlowInt reads a whole non-negative decimal number.
func parseSlowInt(b []byte) (int64, bool) {
	v, e := parseDecimal(b, 0, 18)
	return v, e == len(b) && e > 0
}

// setSlowAttr stores a known key's value; it reports false for a value that
// does not parse (kept in Extra then).
func setSlowAttr(s *slowSpans, key int, val span, line []byte, off int) bool {
	v := val.bytes(line)
	var ok bool
	switch key {
	case slowKeyQueryTime:
		s.queryTime, ok = parseSlowSeconds(v)
	case slowKeyLockTime:
		s.lockTime, ok = parseSlowSeconds(v)
	case slowKeyRowsSent:
		s.rowsSent, ok = parseSlowInt(v)
	case slowKeyRowsExamined:
		s.rowsExamined, ok = parseSlowInt(v)
	case slowKeyRowsAffected:
		s.rowsAffected, ok = parseSlowInt(v)
	case slowKeyBytesSent:
		s.bytesSent, ok = parseSlowInt(v)
	case slowKeyThreadID:
		var id int64
		if id, ok = parseSlowInt(v); ok && s.threadID == 0 {
			s.threadID = id
		}
	case slowKeySchema:
		s.schema, s.hasSchema, ok = span{off + val.i, off + val.j}, true, true
	}
	return ok
}

// slowPair is an attribute for Extra: key and value as ranges of the
// record, and the Extra key when it is a known one.
type slowPair struct {
	key, val span
	name     uint16 // the Extra key: slowKeyNames[name]; 0 when it is to be made from key
	explain  bool   // a "# explain:" line (val is its text)
}

// slowKeyInfo is what is known of an attribute key as servers spell it.
type slowKeyInfo struct {
	kind  int    // slowKeyOther or the typed field
	extra uint16 // its Extra key, slowKeyNames[extra]
}

// slowKeyNames are the Extra keys of slowRawKeys; 0 is none.
var slowKeyNames = []string{""}

// slowRawKeys maps the attribute keys as the servers write them to what
// they are. It is an open-addressing hash table: most pairs cost a short hash
// and one comparison, and no allocation.
var slowRawKeys = func() (t [512]struct {
	key  string
	info slowKeyInfo
}) {
	for _, k := range strings.Fields(`Query_time Lock_time Rows_sent Rows_examined Rows_affected Bytes_sent
		Thread_id Id Schema QC_Hit QC_hit Full_scan Full_join Tmp_table Tmp_table_on_disk Filesort
		Filesort_on_disk Merge_passes Priority_queue Tmp_tables Tmp_disk_tables Tmp_table_sizes Last_errno
		Killed Rows_read InnoDB_trx_id InnoDB_IO_r_ops InnoDB_IO_r_bytes InnoDB_IO_r_wait
		InnoDB_rec_lock_wait InnoDB_queue_wait InnoDB_pages_distinct Log_slow_rate_type
		Log_slow_rate_limit Stored_routine Errno Bytes_received Read_first Read_last Read_key Read_next
		Read_prev Read_rnd Read_rnd_next Sort_merge_passes Sort_range_count Sort_rows Sort_scan_count
		Created_tmp_disk_tables Created_tmp_tables Count_hit_tmp_table_size Start End Client
		Pages_accessed Pages_read_count Pages_updated Old_rows_read Pages_read_time Engine_time`) {
		h := slowKeyHash([]byte(k))
		for t[h].key != "" {
			h = (h + 1) % uint32(len(t))
		}
		t[h].key = k
		t[h].info = slowKeyInfo{slowKey([]byte(k)), uint16(len(slowKeyNames))}
		slowKeyNames = append(slowKeyNames, lowerExtraKey([]byte(k)))
	}
	return t
}()

// slowKeyHash hashes a key from its length and three of its bytes: enough
// to tell the known keys apart, cheaper than hashing every byte.
func slowKeyHash(k []byte) uint32 {
	if len(k) == 0 {
		return 0
	}
	h := uint32(len(k))<<24 | uint32(k[0])<<16 | uint32(k[len(k)/2])<<8 | uint32(k[len(k)-1])
	return (h * 0x9e3779b1) >> 23 // 9 bits: 512 slots
}

// lookupSlowKey returns what is known of the attribute key k.
func lookupSlowKey(k []byte) (slowKeyInfo, bool) {
	for h := slowKeyHash(k); ; h = (h + 1) % uint32(len(slowRawKeys)) {
		switch e := &slowRawKeys[h]; {
		case e.key == "":
			return slowKeyInfo{}, false
		case e.key == string(k):
			return e.info, true
		}
	}
}

// parsePairs reads the pairs of the attribute text line (at rec offset off).
func parsePairs(s *slowSpans, line []byte, off, i int) {
	for {
		key, val, next, ok := nextSlowPair(line, i)
		if !ok {
			return
		}
		s.entry = true
		kb := key.bytes(line)
		info, known := lookupSlowKey(kb)
		if !known {
			info.kind = slowKeyOther
			if len(kb) <= 13 { // the longest typed key, "rows_examined"
				info.kind = slowKey(kb)
			}
		}
		if info.kind == slowKeyOther || !setSlowAttr(s, info.kind, val, line, off) {
			if info.kind != slowKeyOther {
				info.extra = 0 // a known key with a bad number: made from key
			}
			s.extra = append(s.extra, slowPair{key: span{off + key.i, off + key.j}, val: span{off + val.i, off + val.j}, name: info.extra})
		}
		i = next
	}
}

// userHost splits "priv[user] @ host [ip]" at line[i:]; end is where the
// pairs that may follow (Id:) start.
func userHost(line []byte, i int) (priv, user, host, ip span, end int) {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	from := i
	if lb := bytes.IndexByte(line[i:], '['); lb >= 0 {
		if at := bytes.IndexByte(line[i:], '@'); at < 0 || lb < at {
			if rb := bytes.IndexByte(line[i+lb:], ']'); rb >= 0 {
				from = i + lb + rb
			}
		}
	}
	at := bytes.IndexByte(line[from:], '@')
	if at < 0 {
		u := bytes.TrimRight(line[i:], " ")
		return span{i, i}, span{i, i + len(u)}, span{}, span{}, len(line)
	}
	at += from
	u := bytes.TrimRight(line[i:at], " ")
	if lb := bytes.IndexByte(u, '['); lb >= 0 && u[len(u)-1] == ']' {
		priv = span{i, i + lb}
		user = span{i + lb + 1, i + len(u) - 1}
		if user.i == user.j {
			user = priv
		}
	} else {
		priv, user = span{i, i}, span{i, i + len(u)}
	}
	j := at + 1
	for j < len(line) && line[j] == ' ' {
		j++
	}
	h := j
	for j < len(line) && line[j] != ' ' && line[j] != '[' {
		j++
	}
	host = span{h, j}
	for j < len(line) && line[j] == ' ' {
		j++
	}
	if j < len(line) && line[j] == '[' {
		if rb := bytes.IndexByte(line[j:], ']'); rb >= 0 {
			ip = span{j + 1, j + rb}
			j += rb + 1
		}
	}
	return priv, user, host, ip, j
}

// parseUserHost reads "priv[user] @ host [ip]  Id: N" at line[i:] (line is
// at rec offset off).
func parseUserHost(s *slowSpans, line []byte, off, i int) {
	s.entry = true
	priv, user, host, ip, end := userHost(line, i)
	s.privUser = span{off + priv.i, off + priv.j}
	s.user = span{off + user.i, off + user.j}
	s.host = span{off + host.i, off + host.j}
	s.ip = span{off + ip.i, off + ip.j}
	parsePairs(s, line, off, end)
}

// slowUse returns the database of a "use db;" line.
func slowUse(l []byte) ([]byte, int, bool) {
	if len(l) < 5 || l[0]|0x20 != 'u' || l[1]|0x20 != 's' || l[2]|0x20 != 'e' || l[3] != ' ' {
		return nil, 0, false
	}
	i := 4
	for i < len(l) && l[i] == ' ' {
		i++
	}
	e := len(l)
	for e > i && (l[e-1] == ' ' || l[e-1] == ';') {
		e--
	}
	if e == i || e == len(l) || l[e] != ';' {
		return nil, 0, false
	}
	if l[i] == '`' && e-i >= 2 && l[e-1] == '`' {
		i, e = i+1, e-1
	} else if bytes.IndexByte(l[i:e], ' ') >= 0 {
		return nil, 0, false
	}
	return l[i:e], i, true
}

// slowSetTimestamp reads "SET [last_insert_id=N,][insert_id=N,]timestamp=N;"
// and reports whether l is such a line (the timestamp may be absent).
func slowSetTimestamp(l []byte) (ts int64, hasTS, ok bool) {
	if len(l) < 5 || l[0]|0x20 != 's' || l[1]|0x20 != 'e' || l[2]|0x20 != 't' || l[3] != ' ' || l[len(l)-1] != ';' {
		return 0, false, false
	}
	i := 4
	for {
		k := i
		for i < len(l) && (l[i]|0x20-'a' < 26 || l[i] == '_') {
			i++
		}
		name := l[k:i]
		if i == len(l) || l[i] != '=' {
			return 0, false, false
		}
		v, e := parseDecimal(l, i+1, 19)
		if e <= i+1 || e == len(l) {
			return 0, false, false
		}
		switch string(name) {
		case "timestamp":
			ts, hasTS = v, true
		case "last_insert_id", "insert_id":
		default:
			return 0, false, false
		}
		switch l[e] {
		case ',':
			i = e + 1
		case ';':
			return ts, hasTS, e == len(l)-1
		default:
			return 0, false, false
		}
	}
}

// parseSlowHeader reads the server's header record.
func parseSlowHeader(rec []byte, s *slowSpans) {
	s.header = true
	l, i := nextLine(rec, 0)
	l = bytes.TrimRight(l, " \r")
	s.server = span{0, len(l) - len(suffixSlowStarted)}
	for i < len(rec) {
		off := i
		l, i = nextLine(rec, i)
		if len(l) < len(prefixSlowTCP) || !bytes.EqualFold(l[:len(prefixSlowTCP)], prefixSlowTCP) {
			continue
		}
		p0 := len(prefixSlowTCP)
		_, e := parseDecimal(l, p0, 10)
		s.tcpPort = span{off + p0, off + max(e, p0)}
		if x := bytes.Index(l, sepSlowUnixSocket); x >= 0 {
			s.socket = span{off + x + len(sepSlowUnixSocket), off + len(l)}
		}
		if x := bytes.Index(l, sepSlowNamedPipe); x >= 0 {
			s.pipe = span{off + x + len(sepSlowNamedPipe), off + len(l)}
		}
	}
}

// parseSlow reads one record into s; loc is the zone of stamps without one.
func parseSlow(rec []byte, loc *time.Location, s *slowSpans) {
	if first, _ := nextLine(rec, 0); slowServerLine(first) {
		parseSlowHeader(rec, s)
		return
	}
	// The attribute block.
	i := 0
	for i < len(rec) {
		off := i
		l, next := nextLine(rec, i)
		if !isAttrLine(l) {
			break
		}
		i = next
		switch {
		case bytes.HasPrefix(l, prefixSlowTime):
			t, e, ok := parseSlowStamp(l, len(prefixSlowTime), loc)
			if ok {
				s.time, s.timeSet, s.timeBad = t, true, false
			} else {
				s.timeSet, s.timeBad = false, true
			}
			// 5.0/5.1 microslow: "# Time: 071218 11:48:27 # User@Host: …"
			if x := bytes.Index(l[max(e, len(prefixSlowTime)):], prefixSlowUser); x >= 0 {
				parseUserHost(s, l, off, max(e, len(prefixSlowTime))+x+len(prefixSlowUser))
			}
		case bytes.HasPrefix(l, prefixSlowUser):
			parseUserHost(s, l, off, len(prefixSlowUser))
		case bytes.HasPrefix(l, prefixSlowAdmin):
			s.entry = true
			s.query = adminSpan(l, off)
			return
		case bytes.HasPrefix(l, prefixSlowExplain):
			s.entry = true
			v := len(prefixSlowExplain)
			for v < len(l) && l[v] == ' ' {
				v++
			}
			s.extra = append(s.extra, slowPair{val: span{off + v, off + len(l)}, explain: true})
		default:
			parsePairs(s, l, off, 1)
		}
	}
	// use, SET timestamp, the statement.
	var lastUse span
	for i < len(rec) {
		off := i
		l, next := nextLine(rec, i)
		if blank(l) {
			i = next
			continue
		}
		if db, x, ok := slowUse(l); ok {
			s.useDB, s.hasUse = span{off + x, off + x + len(db)}, true
			lastUse = span{off, off + len(l)}
			i = next
			continue
		}
		if ts, hasTS, ok := slowSetTimestamp(l); ok {
			s.entry = true
			if hasTS {
				s.setTS, s.hasSetTS = ts, true
			}
			i = next
			continue
		}
		if bytes.HasPrefix(l, prefixSlowAdmin) {
			s.entry = true
			s.query = adminSpan(l, off)
			return
		}
		e := len(rec)
		for e > i && (rec[e-1] <= ' ') {
			e--
		}
		s.query = span{i, e}
		return
	}
	if s.hasUse {
		s.query = lastUse
	}
}

// adminSpan returns "administrator command: Quit" of the line
// "# administrator command: Quit;" at rec offset off.
func adminSpan(l []byte, off int) span {
	e := len(l)
	for e > 2 && (l[e-1] == ';' || l[e-1] == ' ') {
		e--
	}
	return span{off + 2, off + e}
}

// fpClassCacheSize bounds the fingerprints a parser remembers, and
// fpClassCacheMax the length of those it does.
const (
	fpClassCacheSize = 4096
	fpClassCacheMax  = 1024
)

type queryClass struct{ fingerprint, id string }

// slowParser is the Parser for KindMySQLSlow. It keeps the state of one file.
type slowParser struct {
	loc *time.Location

	zone     time.Time // the "# Time:" in effect
	hasZone  bool
	last     time.Time // the time of the previous event
	hasLast  bool
	db       string // the database of the last "use db;"
	timeless bool   // tests: entries without a time yield events with a zero Time

	extra    []slowPair // attribute scratch
	classes  slowClasses
	deferred bool // Fingerprint and QueryID left to the Classifier of Defer
}

var _ Parser = (*slowParser)(nil)

// Defer makes Parse leave the class of each entry (Fingerprint and
// QueryID, the costliest part of its parse) to the returned Classifier,
// which may run on another goroutine: the parse keeps the state that goes
// from entry to entry, the classification needs none.
func (p *slowParser) Defer() Classifier {
	p.deferred = true
	return &slowClasses{}
}

// Classify fills in what Parse left to it, as Parse would have.
func (p *slowClasses) Classify(ev *Event) {
	if q := ev.Slow; q != nil && !q.Restart && q.Query != "" {
		q.Fingerprint, q.QueryID = p.classify(q.Query)
	}
}

// slowClasses fingerprints statements and names their classes, with a
// cache of the recent ones.
type slowClasses struct {
	fp      []byte                // fingerprint scratch
	classes map[string]queryClass // recent fingerprints and their ids
}

// classify returns the fingerprint and id of query, from the cache when the
// fingerprint was seen recently.
func (p *slowClasses) classify(query string) (string, string) {
	p.fp = appendFingerprint(p.fp[:0], query)
	if c, ok := p.classes[string(p.fp)]; ok {
		return c.fingerprint, c.id
	}
	var idb [16]byte
	c := queryClass{string(p.fp), string(appendQueryID(idb[:0], p.fp))}
	if len(p.fp) <= fpClassCacheMax {
		if p.classes == nil {
			p.classes = make(map[string]queryClass)
		} else if len(p.classes) >= fpClassCacheSize {
			clear(p.classes)
		}
		p.classes[c.fingerprint] = c
	}
	if cap(p.fp) > 64<<10 {
		p.fp = nil
	}
	return c.fingerprint, c.id
}

func (p *slowParser) Parse(rec []byte, ev *Event) error {
	s := slowSpans{extra: p.extra[:0]}
	parseSlow(rec, p.loc, &s)
	p.extra = s.extra
	var t time.Time
	switch {
	case s.header:
		// The server reopened the log: "# Time:" and "use" start afresh.
		p.hasZone, p.db = false, ""
		if !p.hasLast {
			return ErrNoEvent
		}
		t = p.last
	case !s.entry && s.query.i == s.query.j:
		// "# Time:" alone, blank lines, a bare "#".
		if s.timeBad {
			p.hasZone = false
			return errSlowTime
		}
		if s.timeSet {
			p.zone, p.hasZone = s.time, true
		}
		return ErrNoEvent
	case !s.entry && !s.timeSet:
		if s.timeBad {
			p.hasZone = false
			return errSlowTime
		}
		return errSlowNoEntry
	default:
		switch {
		case s.timeSet:
			p.zone, p.hasZone = s.time, true
		case s.timeBad:
			p.hasZone = false
		}
		switch {
		case p.hasZone:
			t = p.zone
		case s.hasSetTS && s.setTS > 0 && s.setTS < 1e11:
			t = time.Unix(s.setTS, 0).UTC()
		case p.hasLast:
			t = p.last
		case p.timeless:
		default:
			return errSlowNoTime
		}
	}

	text := string(rec)
	q := &SlowQuery{}
	if s.header {
		q.Restart = true
		q.Server = s.server.str(text)
		if n := b2i(s.tcpPort.j > s.tcpPort.i) + b2i(s.socket.j > s.socket.i) + b2i(s.pipe.j > s.pipe.i); n > 0 {
			q.Extra = make(map[string]string, n)
			for _, f := range [...]struct {
				k string
				v span
			}{{"tcp_port", s.tcpPort}, {"unix_socket", s.socket}, {"named_pipe", s.pipe}} {
				if f.v.j > f.v.i {
					q.Extra[f.k] = f.v.str(text)
				}
			}
		}
	} else {
		q.User, q.Host, q.IP = s.user.str(text), s.host.str(text), s.ip.str(text)
		q.ThreadID = s.threadID
		q.QueryTime, q.LockTime = s.queryTime, s.lockTime
		q.RowsSent, q.RowsExamined, q.RowsAffected, q.BytesSent = s.rowsSent, s.rowsExamined, s.rowsAffected, s.bytesSent
		switch {
		case s.hasUse:
			db := s.useDB.bytes(rec)
			if string(db) != p.db {
				p.db = string(db)
			}
			q.Schema = p.db
		case s.hasSchema:
			q.Schema = s.schema.str(text)
		default:
			q.Schema = p.db
		}
		q.Query = s.query.str(text)
		if q.Query != "" && !p.deferred {
			q.Fingerprint, q.QueryID = p.classes.classify(q.Query)
		}
		priv := s.privUser.str(text)
		if priv == q.User {
			priv = ""
		}
		if len(s.extra) > 0 || priv != "" {
			q.Extra = make(map[string]string, len(s.extra)+b2i(priv != ""))
			fillSlowExtra(q.Extra, s.extra, rec, text)
			if priv != "" {
				q.Extra["priv_user"] = priv
			}
		}
	}
	*ev = Event{
		Time:   t,
		Kind:   KindMySQLSlow,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Slow:   q,
	}
	if !s.header {
		p.last, p.hasLast = t, true
	}
	return nil
}

// slowReserved lists the JSON fields of a slow-log event: Extra keys that
// equal one get the prefix "attr_".
func slowReserved(k string) bool {
	switch k {
	case "time", "format", "path", "offset", "query_time", "lock_time", "rows_sent", "rows_examined",
		"rows_affected", "bytes_sent", "user", "host", "ip", "schema", "thread_id", "query",
		"fingerprint", "query_id", "restart", "server":
		return true
	}
	return false
}

// slowExtraKey returns the Extra key of an attribute key: the key in lower
// case, prefixed with "attr_" where it would collide with a field.
func slowExtraKey(k []byte) string {
	if info, ok := lookupSlowKey(k); ok {
		return slowKeyNames[info.extra]
	}
	return lowerExtraKey(k)
}

func lowerExtraKey(k []byte) string {
	s := strings.ToLower(string(k))
	if slowReserved(s) {
		s = "attr_" + s
	}
	return s
}

// fillSlowExtra puts the attributes of pairs into m.
func fillSlowExtra(m map[string]string, pairs []slowPair, rec []byte, text string) {
	var explain []byte
	for _, p := range pairs {
		switch {
		case p.explain:
			if explain != nil {
				explain = append(explain, '\n')
			}
			explain = append(explain, p.val.bytes(rec)...)
		case p.name != 0:
			m[slowKeyNames[p.name]] = p.val.str(text)
		default:
			m[slowExtraKey(p.key.bytes(rec))] = p.val.str(text)
		}
	}
	if explain != nil {
		m["explain"] = string(explain)
	}
}

// appendFloatField appends `,"name":v` with the shortest decimal form of v
// that reads back as v (seconds: "2.475469", "2", "0.000287").
func appendFloatField(dst []byte, name string, v float64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

func appendSlowFields(dst []byte, e *Event) []byte {
	s := e.Slow
	if s == nil {
		return dst
	}
	if s.Restart {
		dst = append(dst, `,"restart":true`...)
		dst = appendStringField(dst, "server", s.Server)
	} else {
		dst = appendFloatField(dst, "query_time", s.QueryTime)
		dst = appendFloatField(dst, "lock_time", s.LockTime)
		dst = appendIntField(dst, "rows_sent", s.RowsSent)
		dst = appendIntField(dst, "rows_examined", s.RowsExamined)
		if s.RowsAffected != 0 {
			dst = appendIntField(dst, "rows_affected", s.RowsAffected)
		}
		if s.BytesSent != 0 {
			dst = appendIntField(dst, "bytes_sent", s.BytesSent)
		}
	}
	dst = appendStringField(dst, "user", s.User)
	dst = appendStringField(dst, "host", s.Host)
	dst = appendStringField(dst, "ip", s.IP)
	dst = appendStringField(dst, "schema", s.Schema)
	if s.ThreadID != 0 {
		dst = appendIntField(dst, "thread_id", s.ThreadID)
	}
	dst = appendStringField(dst, "query", s.Query)
	dst = appendStringField(dst, "fingerprint", s.Fingerprint)
	dst = appendStringField(dst, "query_id", s.QueryID)
	if len(s.Extra) == 0 {
		return dst
	}
	var arr [64]string
	keys := arr[:0]
	for k := range s.Extra {
		if !slowReserved(k) { // never two members of one name
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = append(dst, ',')
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, s.Extra[k])
	}
	return dst
}

func init() {
	register(KindMySQLSlow, format{
		newParser:    func(loc *time.Location, _ time.Time) Parser { return &slowParser{loc: loc} },
		starts:       slowStarts,
		matches:      slowMatches,
		appendFields: appendSlowFields,
	})
}
