package patterns

import (
	"crypto/md5"
	"encoding/hex"
)

// Query fingerprints group the statements of a slow log into classes, the
// way pt-query-digest and Percona's query analytics (percona/go-mysql) do, so
// that "the same query with other values" is counted as one.
//
// Fingerprint abstracts a statement as follows. It is written from these
// rules, not ported: one pass over the bytes, no regular expressions, time
// and memory linear in the size of the statement.
//
//   - Comments are removed: /* … */, "-- " and "#" to the end of the line.
//     Version comments /*!NNNNN … */ are kept (they are executable SQL).
//     A removed comment leaves a space only where the tokens around it
//     would otherwise run together.
//   - Whitespace runs become one space; leading and trailing whitespace and
//     trailing semicolons go. Letters are lowercased (ASCII only).
//   - Literals become "?": quoted strings ('…' and "…", with backslash and
//     doubled-quote escapes), numbers (integers, decimals, exponents, a sign
//     that can only be unary), 0x/0b numbers, x'…', b'…', n'…' and
//     _charset'…' strings, NULL, TRUE and FALSE. A word that starts with a
//     digit but goes on with letters (123foo, 12_13_foo) is a name and kept,
//     as are digits inside names (foo_1, rt_5min) and `backquoted` names.
//   - IN (…), VALUES (…) and VALUE (…) lists that hold only literals become
//     "in(?+)" / "values(?+)"; the first VALUES clause of an INSERT or
//     REPLACE becomes "values(?+)" whatever it holds, all its rows included
//     (a multi-row insert is one class); a later VALUES(col) of ON DUPLICATE
//     KEY UPDATE is kept.
//   - "limit ?, ?" and "limit ? offset ?" become "limit ?" (pages of one
//     query are one class, as in pt-query-digest).
//   - After ORDER BY, the ASC keywords go (ASC is the default).
//   - A + or - operator with a space after it becomes "?", as
//     pt-query-digest's number pattern makes it ("total = total + 1.5" →
//     "total = total ? ?", "a - b" → "a ? b"); where a sign touches what
//     follows, it is an operator (a-b) or a number's sign (-5 → ?).
//   - "use db" becomes "use ?"; "call proc(…)" becomes "call proc";
//     "administrator command: Quit" is returned as it is.
//
// Fingerprint is idempotent: Fingerprint(Fingerprint(q)) == Fingerprint(q).
// Where pt-query-digest and percona/go-mysql differ, Fingerprint follows
// go-mysql for names with digits (kept) and pt-query-digest for LIMIT; it does
// not special-case mysqldump or pt-table-checksum queries, nor collapse
// repeated UNION arms. Double quotes are read as strings (MySQL's default;
// under ANSI_QUOTES they would be names).
func Fingerprint(query string) string {
	return string(appendFingerprint(make([]byte, 0, len(query)), query))
}

// QueryID returns the class id of a fingerprint as pt-query-digest and
// Percona's tools print it: the last 16 hex digits of the MD5 of the
// fingerprint, in upper case ("select ?" → "16219655761820A2").
func QueryID(fingerprint string) string {
	var b [16]byte
	return string(appendQueryID(b[:0], []byte(fingerprint)))
}

// appendQueryID appends the QueryID of fingerprint to dst.
func appendQueryID(dst, fingerprint []byte) []byte {
	sum := md5.Sum(fingerprint)
	var h [16]byte
	hex.Encode(h[:], sum[8:])
	for i, c := range h {
		if c >= 'a' {
			h[i] = c - 'a' + 'A'
		}
	}
	return append(dst, h[:]...)
}

// Byte classes of the fingerprinter.
const (
	fpOther = iota
	fpSpace
	fpWord  // letters, '_', '$', '@' and bytes of multi-byte UTF-8
	fpDigit // 0-9
)

var fpClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			t[c] = fpSpace
		case c >= '0' && c <= '9':
			t[c] = fpDigit
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '$', c == '@', c >= 0x80:
			t[c] = fpWord
		}
	}
	return t
}()

// isNameByte reports whether c can continue a name or a number.
func isNameByte(c byte) bool { return fpClass[c] >= fpWord }

func lowerASCII(c byte) byte {
	if c-'A' < 26 {
		return c + 'a' - 'A'
	}
	return c
}

// fingerprinter is the state of one appendFingerprint pass.
type fingerprinter struct {
	q   string
	out []byte
	// base is the length of out when the pass began (out may be a caller's
	// buffer with contents).
	base int
	// pending: whitespace was seen since the last token; glue: a comment
	// was removed since the last token.
	pending, glue bool
	// operand: the last token ends an operand (a name, a literal, ")"), so a
	// following + or - is binary.
	operand bool
	// words emitted, for the statement-level rules.
	started   bool // a word has been seen
	lastOrder bool // the last word was "order"
	orderBy   bool // ORDER BY was seen: drop ASC
	insert    bool // the statement is an INSERT or REPLACE
	valuesOK  bool // its first VALUES clause has been handled
}

// appendFingerprint appends the fingerprint of q to dst.
func appendFingerprint(dst []byte, q string) []byte {
	// Administrator commands are their own fingerprint.
	const admin = "administrator command: "
	if len(q) >= len(admin) && q[:len(admin)] == admin {
		e := len(q)
		for e > len(admin) && (q[e-1] == ';' || fpClass[q[e-1]] == fpSpace) {
			e--
		}
		return append(dst, q[:e]...)
	}
	f := fingerprinter{q: q, out: dst, base: len(dst)}
	f.run()
	out := f.out
	// "call proc(…)" → "call proc", as pt-query-digest abstracts stored
	// procedure calls.
	if s := out[f.base:]; len(s) > 5 && string(s[:5]) == "call " {
		for j := 5; j < len(s) && s[j] != ' '; j++ {
			if s[j] == '(' {
				if j > 5 {
					out = out[:f.base+j]
				}
				break
			}
		}
	}
	// Trailing spaces and semicolons.
	for len(out) > f.base && (out[len(out)-1] == ' ' || out[len(out)-1] == ';') {
		out = out[:len(out)-1]
	}
	// "use db" → "use ?"
	if s := out[f.base:]; len(s) > 4 && string(s[:4]) == "use " {
		rest := s[4:]
		single := true
		for _, c := range rest {
			if c == ' ' {
				single = false
				break
			}
		}
		if single {
			out = append(out[:f.base], "use ?"...)
		}
	}
	return out
}

func (f *fingerprinter) run() {
	q := f.q
	for i := 0; i < len(q); {
		c := q[i]
		switch fpClass[c] {
		case fpSpace:
			f.pending = true
			i++
			continue
		case fpWord:
			i = f.word(i)
			continue
		case fpDigit:
			i = f.number(i, i)
			continue
		}
		switch c {
		case '\'', '"':
			i = skipQuoted(q, i)
			f.literal()
			continue
		case '`':
			j := skipQuoted(q, i)
			f.emitLower(q[i:j])
			f.operand = true
			i = j
			continue
		case '#':
			i = skipLine(q, i)
			f.glue = true
			continue
		case '-':
			if i+1 < len(q) && q[i+1] == '-' && (i+2 == len(q) || q[i+2] <= ' ') {
				i = skipLine(q, i)
				f.glue = true
				continue
			}
		case '/':
			if i+1 < len(q) && q[i+1] == '*' {
				j := skipComment(q, i)
				if i+2 < len(q) && q[i+2] == '!' {
					f.verbatim(q[i:j])
				} else {
					f.glue = true
				}
				i = j
				continue
			}
		case '.':
			if i+1 < len(q) && fpClass[q[i+1]] == fpDigit && !f.afterName() {
				i = f.number(i, i)
				continue
			}
		case '?':
			f.literal()
			i++
			continue
		}
		if (c == '+' || c == '-') && !f.operand && i+1 < len(q) &&
			(fpClass[q[i+1]] == fpDigit || q[i+1] == '.' && i+2 < len(q) && fpClass[q[i+2]] == fpDigit) {
			i = f.number(i, i+1)
			continue
		}
		f.punct(c)
		i++
	}
}

// afterName reports whether a token written now would follow a name or a
// literal with nothing between (so that ".5" after it is a qualifier).
func (f *fingerprinter) afterName() bool {
	if f.pending || f.glue || len(f.out) == f.base {
		return false
	}
	p := f.out[len(f.out)-1]
	return isNameByte(p) || p == '?' || p == '`' || p == ')'
}

// space writes the separator owed before a token that starts with byte c.
func (f *fingerprinter) space(c byte) {
	n := len(f.out)
	switch {
	case n == f.base:
	case f.pending:
		f.signApart()
		f.out = append(f.out, ' ')
	case f.glue:
		// A removed comment separated the two tokens: keep them apart if
		// they would otherwise read as one (names, or operator characters).
		p := f.out[n-1]
		wp := isNameByte(p) || p == '?' || p == '`'
		wc := isNameByte(c) || c == '?' || c == '`'
		if wp && wc || !wp && !wc && p != ' ' && p != '(' && c != ')' && c != ',' {
			f.signApart()
			f.out = append(f.out, ' ')
		}
	}
	f.pending, f.glue = false, false
}

// signApart makes a + or - that a space is about to follow a "?": to
// pt-query-digest such a sign is a number of its own (its number pattern
// starts at any + or -), so "total + 1.5" is "total ? ?" and "a - b" is
// "a ? b". Decided where the space is written, so that no fingerprint holds
// a sign before a space and a second pass keeps it as it is.
func (f *fingerprinter) signApart() {
	if n := len(f.out); n > f.base && (f.out[n-1] == '+' || f.out[n-1] == '-') {
		f.out[n-1] = '?'
	}
}

func (f *fingerprinter) punct(c byte) {
	if c == '-' && !f.pending && len(f.out) > f.base && f.out[len(f.out)-1] == '-' {
		f.pending = true // "--" would read as a comment where a space follows
	}
	f.space(c)
	f.out = append(f.out, c)
	f.operand = c == ')'
	f.lastOrder = false
}

// emitLower writes s lowercased as one token.
func (f *fingerprinter) emitLower(s string) {
	f.space(s[0])
	f.lastOrder = false
	n := len(f.out)
	f.out = append(f.out, s...)
	o := f.out[n:]
	for i, c := range o {
		if c-'A' < 26 {
			o[i] = c + 'a' - 'A'
		}
	}
}

// verbatim writes a version comment: lowercased, whitespace collapsed.
func (f *fingerprinter) verbatim(s string) {
	f.space('/')
	sp := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if fpClass[c] == fpSpace {
			sp = true
			continue
		}
		if sp {
			f.out = append(f.out, ' ')
			sp = false
		}
		f.out = append(f.out, lowerASCII(c))
	}
	f.operand = false
}

// literal writes "?" for a literal, and folds LIMIT's offset forms.
func (f *fingerprinter) literal() {
	o := f.out[f.base:]
	for _, suf := range [...]string{"limit ?,", "limit ? ,", "limit ? offset"} {
		if len(o) == 0 || o[len(o)-1] != suf[len(suf)-1] {
			continue
		}
		if n := len(o) - len(suf); n >= 0 && string(o[n:]) == suf && (n == 0 || !isNameByte(o[n-1])) {
			f.out = f.out[:f.base+n+len("limit ?")]
			f.pending, f.glue = false, false
			f.operand = true
			return
		}
	}
	f.space('?')
	f.out = append(f.out, '?')
	f.operand = true
	f.lastOrder = false
}

// word handles the name or keyword at q[i].
func (f *fingerprinter) word(i int) int {
	q := f.q
	j := i + 1
	for j < len(q) && isNameByte(q[j]) {
		j++
	}
	w := q[i:j]
	// x'0F', b'01', n'abc', _utf8mb4'abc': string literals.
	if j < len(q) && q[j] == '\'' && (len(w) == 1 && (w[0]|0x20 == 'x' || w[0]|0x20 == 'b' || w[0]|0x20 == 'n') || w[0] == '_') {
		f.literal()
		return skipQuoted(q, j)
	}
	kw := fpKeyword(w)
	switch kw {
	case kwLiteral:
		f.literal()
		return j
	case kwIn, kwValues:
		if k := skipSpace(q, j); k < len(q) && q[k] == '(' {
			if kw == kwValues && f.insert && !f.valuesOK {
				f.valuesOK = true
				if end, empty, ok := skipRows(q, k); ok {
					f.emitLower(w)
					if empty {
						f.out = append(f.out, "()"...)
					} else {
						f.out = append(f.out, "(?+)"...)
					}
					f.operand = true
					return end
				}
			} else if end, ok := literalList(q, k); ok {
				f.emitLower(w)
				f.out = append(f.out, "(?+)"...)
				f.operand = true
				return end
			}
		}
	case kwAsc:
		if f.orderBy {
			f.pending = false
			return j
		}
	}
	if !f.started {
		f.started = true
		f.insert = kw == kwInsert
	}
	order := f.lastOrder
	f.emitLower(w)
	f.orderBy = f.orderBy || order && kw == kwBy
	f.lastOrder = kw == kwOrder
	f.operand = kw == kwNone || kw == kwInsert || kw == kwAsc
	return j
}

// Words the fingerprinter acts on.
const (
	kwNone    = iota // a name, or a keyword of no interest
	kwLiteral        // null, true, false
	kwIn
	kwValues // values, value
	kwAsc
	kwInsert // insert, replace: the first word of the statement
	kwBy
	kwOrder
	kwSign // a keyword after which + and - can only be signs
)

// fpKeywords lists the words fpKeyword knows.
var fpKeywords = map[string]int{
	"null": kwLiteral, "true": kwLiteral, "false": kwLiteral, "in": kwIn, "values": kwValues, "value": kwValues,
	"asc": kwAsc, "insert": kwInsert, "replace": kwInsert, "by": kwBy, "order": kwOrder,
	"select": kwSign, "where": kwSign, "and": kwSign, "or": kwSign, "not": kwSign, "xor": kwSign, "when": kwSign,
	"then": kwSign, "else": kwSign, "limit": kwSign, "offset": kwSign, "set": kwSign, "is": kwSign, "like": kwSign,
	"between": kwSign, "case": kwSign, "as": kwSign, "on": kwSign, "return": kwSign, "returns": kwSign,
	"interval": kwSign, "div": kwSign, "mod": kwSign, "having": kwSign, "if": kwSign, "elseif": kwSign, "do": kwSign,
	"regexp": kwSign, "rlike": kwSign,
}

// fpKeywordTable is fpKeywords as an open-addressing hash table of the words
// packed into integers (one byte each, lowercased): a look-up costs a
// multiplication and, mostly, one comparison.
var fpKeywordTable = func() (t [256]struct {
	key  uint64
	kind uint8
}) {
	for w, k := range fpKeywords {
		key, _ := fpPack(w)
		h := fpSlot(key)
		for t[h].key != 0 {
			h = (h + 1) & 255
		}
		t[h].key, t[h].kind = key, uint8(k)
	}
	return t
}()

// fpPack packs a word of 2 to 8 bytes, lowercased, into an integer; the
// integer is never 0.
func fpPack(w string) (uint64, bool) {
	if len(w) < 2 || len(w) > 8 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(w); i++ {
		v |= uint64(w[i]|0x20) << (8 * i) // lowercases letters; maps no other byte to a letter
	}
	return v, true
}

func fpSlot(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> 56 }

// fpKeyword classifies the word w, in any case.
func fpKeyword(w string) int {
	key, ok := fpPack(w)
	if !ok {
		return kwNone
	}
	for h := fpSlot(key); ; h = (h + 1) & 255 {
		switch fpKeywordTable[h].key {
		case key:
			return int(fpKeywordTable[h].kind)
		case 0:
			return kwNone
		}
	}
}

// number handles the number at q[i:] whose digits start at d (d > i when a
// sign comes first). A digit-led word (123foo) is a name.
func (f *fingerprinter) number(i, d int) int {
	q := f.q
	if e := numberEnd(q, d); e >= 0 {
		f.literal()
		return e
	}
	if d > i { // a sign before a name: an operator
		f.punct(q[i])
		return d
	}
	// A digit-led name such as 123foo: kept whole, with any dots in it, so
	// that reading it again finds the same name.
	j := i + 1
	for j < len(q) && (isNameByte(q[j]) || q[j] == '.') {
		j++
	}
	f.emitLower(q[i:j])
	f.operand = true
	return j
}

func isHex(c byte) bool { return fpClass[c] == fpDigit || c|0x20-'a' < 6 }

// skipQuoted returns the index after the quoted string, or name, that
// starts at q[i] (its quote). Backslash escapes apply to strings, doubled
// quotes to both. An unterminated quote runs to the end.
func skipQuoted(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if quote != '`' {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

// commentEnd returns the index after the comment that starts at q[i] (not a
// /*! version comment), or i when none does.
func commentEnd(q string, i int) int {
	switch c := q[i]; {
	case c == '#':
		return skipLine(q, i)
	case c == '-' && i+1 < len(q) && q[i+1] == '-' && (i+2 == len(q) || q[i+2] <= ' '):
		return skipLine(q, i)
	case c == '/' && i+1 < len(q) && q[i+1] == '*' && (i+2 == len(q) || q[i+2] != '!'):
		return skipComment(q, i)
	}
	return i
}

// skipSpace returns the index of the first byte at or after q[i] that is
// neither whitespace nor in a comment.
func skipSpace(q string, i int) int {
	for i < len(q) {
		if fpClass[q[i]] == fpSpace {
			i++
			continue
		}
		e := commentEnd(q, i)
		if e == i {
			return i
		}
		i = e
	}
	return i
}

// skipLine returns the index after the end of the line at q[i:].
func skipLine(q string, i int) int {
	for ; i < len(q); i++ {
		if q[i] == '\n' {
			return i + 1
		}
	}
	return i
}

// skipComment returns the index after the /* … */ comment at q[i:].
func skipComment(q string, i int) int {
	for j := i + 2; j+1 < len(q); j++ {
		if q[j] == '*' && q[j+1] == '/' {
			return j + 2
		}
	}
	return len(q)
}

// skipRows skips the rows of an INSERT's VALUES clause at q[k] ('('): one
// or more balanced parenthesised groups separated by commas. empty reports
// a single "()".
func skipRows(q string, k int) (end int, empty, ok bool) {
	rows := 0
	for {
		e, hollow, ok := skipGroup(q, k)
		if !ok {
			return 0, false, false
		}
		rows++
		empty = rows == 1 && hollow
		end = e
		m := skipSpace(q, e)
		if m == len(q) || q[m] != ',' {
			return end, empty, true
		}
		m = skipSpace(q, m+1)
		if m == len(q) || q[m] != '(' {
			return end, empty, true
		}
		k = m
	}
}

// skipGroup skips the balanced group that opens at q[k] ('('), strings and
// quoted names included. hollow reports a group with only whitespace.
func skipGroup(q string, k int) (end int, hollow, ok bool) {
	depth := 0
	hollow = true
	for j := k; j < len(q); {
		c := q[j]
		switch {
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return j + 1, hollow, true
			}
		case c == '\'' || c == '"' || c == '`':
			j = skipQuoted(q, j)
			hollow = false
			continue
		case fpClass[c] == fpSpace:
		default:
			if e := commentEnd(q, j); e > j {
				j = e
				continue
			}
			hollow = false
		}
		j++
	}
	return 0, false, false
}

// literalList reports whether the group at q[k] ('(') holds only literals,
// commas and nested groups of them (with comments and whitespace), and
// returns the index after it.
func literalList(q string, k int) (int, bool) {
	depth := 0
	n := 0 // literals seen
	for j := k; j < len(q); {
		if e := skipSpace(q, j); e > j {
			j = e
			continue
		}
		c := q[j]
		switch fpClass[c] {
		case fpDigit:
			e := numberEnd(q, j)
			if e < 0 {
				return 0, false
			}
			n++
			j = e
			continue
		case fpWord:
			e := j + 1
			for e < len(q) && isNameByte(q[e]) {
				e++
			}
			w := q[j:e]
			if e < len(q) && q[e] == '\'' && (len(w) == 1 && (w[0]|0x20 == 'x' || w[0]|0x20 == 'b' || w[0]|0x20 == 'n') || w[0] == '_') {
				n++
				j = skipQuoted(q, e)
				continue
			}
			if !equalFoldASCII(w, "null") && !equalFoldASCII(w, "true") && !equalFoldASCII(w, "false") {
				return 0, false
			}
			n++
			j = e
			continue
		}
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1, n > 0
			}
		case ',':
		case '\'', '"':
			n++
			j = skipQuoted(q, j)
			continue
		case '?':
			n++
			if j+1 < len(q) && q[j+1] == '+' {
				j++
			}
		case '+', '-', '.':
			if j+1 == len(q) {
				return 0, false
			}
			d := j + 1
			if c != '.' && q[d] == '.' {
				d++
			}
			if d >= len(q) || fpClass[q[d]] != fpDigit {
				return 0, false
			}
			e := numberEnd(q, d)
			if e < 0 {
				return 0, false
			}
			n++
			j = e
			continue
		default:
			return 0, false
		}
		j++
	}
	return 0, false
}

// numberEnd returns the end of the number whose digits start at q[j], or -1
// when the digits begin a name.
func numberEnd(q string, j int) int {
	if q[j] == '0' && j+2 < len(q) && (q[j+1]|0x20 == 'x' || q[j+1]|0x20 == 'b') {
		k := j + 2
		for k < len(q) && isHex(q[k]) {
			k++
		}
		if k > j+2 && (k == len(q) || !isNameByte(q[k])) {
			return k
		}
	}
	for j < len(q) && fpClass[q[j]] == fpDigit {
		j++
	}
	if j < len(q) && q[j] == '.' {
		j++
		for j < len(q) && fpClass[q[j]] == fpDigit {
			j++
		}
	}
	if j < len(q) && q[j]|0x20 == 'e' {
		k := j + 1
		if k < len(q) && (q[k] == '+' || q[k] == '-') {
			k++
		}
		if k < len(q) && fpClass[q[k]] == fpDigit {
			for k < len(q) && fpClass[q[k]] == fpDigit {
				k++
			}
			j = k
		}
	}
	if j < len(q) && isNameByte(q[j]) && q[j-1] != '.' {
		return -1
	}
	return j
}

func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}
