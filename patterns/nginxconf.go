package patterns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Reading log_format directives from nginx's configuration.

// Limits of ReadNginxConf.
const (
	maxConfIncludeDepth = 16      // include nesting
	maxConfFiles        = 1024    // files read in all
	maxConfFileSize     = 8 << 20 // bytes per file
)

// confToken is one token of an nginx configuration: a word (quoted or
// not, unescaped) or one of ';', '{', '}'.
type confToken struct {
	text  string
	punct byte // ';', '{' or '}'; 0 for a word
	line  int
}

// confLexer splits an nginx configuration into tokens, as nginx's
// ngx_conf_read_token does: words end at whitespace, ';', '{' or '}' (a
// "${name}" is part of its word); '#' at the start of a token comments the
// rest of the line; "…" and '…' quote, and in every token \" \' \\ \t \r \n
// are unescaped (other backslashes are kept).
type confLexer struct {
	src  string
	i    int
	line int
}

func newConfLexer(src string) *confLexer { return &confLexer{src: src, line: 1} }

// next returns the next token, or io.EOF.
func (l *confLexer) next() (confToken, error) {
	s := l.src
	for l.i < len(s) {
		c := s[l.i]
		switch c {
		case '\n':
			l.line++
			l.i++
			continue
		case ' ', '\t', '\r':
			l.i++
			continue
		case '#':
			for l.i < len(s) && s[l.i] != '\n' {
				l.i++
			}
			continue
		case ';', '{', '}':
			l.i++
			return confToken{punct: c, line: l.line}, nil
		}
		break
	}
	if l.i >= len(s) {
		return confToken{}, io.EOF
	}
	line := l.line
	var b strings.Builder
	if q := s[l.i]; q == '"' || q == '\'' {
		l.i++
		for {
			if l.i >= len(s) {
				return confToken{}, fmt.Errorf("line %d: unterminated %c string", line, q)
			}
			c := s[l.i]
			if c == q {
				l.i++
				break
			}
			if c == '\n' {
				l.line++
			}
			if c == '\\' && l.i+1 < len(s) {
				l.unescape(&b)
				continue
			}
			b.WriteByte(c)
			l.i++
		}
		if l.i < len(s) {
			switch s[l.i] {
			case ' ', '\t', '\r', '\n', ';', '{', '}':
			default:
				return confToken{}, fmt.Errorf("line %d: unexpected %q after a quoted string", l.line, s[l.i])
			}
		}
		return confToken{text: b.String(), line: line}, nil
	}
	for l.i < len(s) {
		c := s[l.i]
		switch c {
		case ' ', '\t', '\r', '\n', ';', '}':
			return confToken{text: b.String(), line: line}, nil
		case '{':
			if b.Len() == 0 || !strings.HasSuffix(b.String(), "$") {
				return confToken{text: b.String(), line: line}, nil
			}
			// "${name}": the braces belong to the word.
			e := strings.IndexByte(s[l.i:], '}')
			if e < 0 {
				return confToken{}, fmt.Errorf("line %d: missing } after ${", line)
			}
			b.WriteString(s[l.i : l.i+e+1])
			l.i += e + 1
			continue
		case '\\':
			if l.i+1 < len(s) {
				l.unescape(&b)
				continue
			}
		}
		b.WriteByte(c)
		l.i++
	}
	return confToken{text: b.String(), line: line}, nil
}

// unescape writes the escape at s[l.i] (a backslash and one byte).
func (l *confLexer) unescape(b *strings.Builder) {
	switch e := l.src[l.i+1]; e {
	case '"', '\'', '\\':
		b.WriteByte(e)
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'n':
		b.WriteByte('\n')
	default:
		b.WriteByte('\\')
		b.WriteByte(e)
		if e == '\n' {
			l.line++
		}
	}
	l.i += 2
}

// directive reads the words of the next directive and what ended it: ';',
// '{' (a block starts), '}' (a block ends, with no words) or 0 at the end of
// the input (with no words, or the words of an unterminated directive).
func (l *confLexer) directive() (words []string, end byte, line int, err error) {
	for {
		t, err := l.next()
		if err == io.EOF {
			return words, 0, line, nil
		}
		if err != nil {
			return nil, 0, 0, err
		}
		if len(words) == 0 && t.punct == 0 {
			line = t.line
		}
		if t.punct != 0 {
			if t.punct == '}' && len(words) > 0 {
				return nil, 0, 0, fmt.Errorf("line %d: unexpected }: directive %q has no ;", t.line, words[0])
			}
			if len(words) == 0 {
				line = t.line
			}
			return words, t.punct, line, nil
		}
		words = append(words, t.text)
	}
}

// logFormatFromArgs compiles a log_format directive's arguments (after the
// directive's name): NAME [escape=default|json|none] STRING....
func logFormatFromArgs(args []string) (*AccessFormat, error) {
	if len(args) < 2 {
		return nil, errors.New(`log_format needs a name and a format ("log_format NAME [escape=…] 'FORMAT' …;")`)
	}
	name, rest, escape := args[0], args[1:], ""
	if v, ok := strings.CutPrefix(rest[0], "escape="); ok {
		escape, rest = v, rest[1:]
		if len(rest) == 0 {
			return nil, fmt.Errorf("log_format %s: no format after escape=%s", name, v)
		}
	}
	return CompileLogFormat(name, escape, strings.Join(rest, ""))
}

// ParseLogFormatDirective compiles one log_format directive as written in
// nginx.conf:
//
//	log_format main escape=json '{"time":"$time_iso8601",'
//	                            '"status":$status}';
//
// Its strings may be quoted with ' or " (with nginx's escapes: \' \" \\ \t
// \r \n) or bare, and span lines; comments (# to the end of a line) are
// skipped. nginx joins the strings without a separator, and so does this.
// The final ';' may be left out; nothing but comments may follow it.
func ParseLogFormatDirective(s string) (*AccessFormat, error) {
	l := newConfLexer(s)
	words, end, _, err := l.directive()
	if err != nil {
		return nil, fmt.Errorf("log_format directive: %w", err)
	}
	if len(words) == 0 || words[0] != "log_format" {
		return nil, errors.New(`not a log_format directive (it must start with "log_format")`)
	}
	if end == '{' || end == '}' {
		return nil, fmt.Errorf("log_format directive: unexpected %c", end)
	}
	if end == ';' {
		if t, err := l.next(); err != io.EOF {
			return nil, fmt.Errorf("log_format directive: text after the final ; at line %d", t.line)
		}
	}
	return logFormatFromArgs(words[1:])
}

// ReadNginxConf reads the log_format directives of the nginx configuration
// file path and of the files it includes, in the order nginx reads them.
// include arguments are file names or glob patterns (their matches are read
// in sorted order; a pattern may match nothing, a plain name must exist);
// relative ones are relative to the directory of path, as nginx takes them
// relative to the directory of its main configuration file. Includes nest
// at most 16 deep (which also stops include cycles), 1024 files are read at
// most, and 8 MiB of each.
//
// Every error names the file (and line): an unreadable file, a syntax
// error, a log_format that does not compile, a duplicate log_format name
// (nginx refuses it too, as well as a redefinition of "combined"). On error
// no format is returned.
func ReadNginxConf(path string) ([]*AccessFormat, error) {
	r := &confReader{root: filepath.Dir(path), names: map[string]string{}}
	if err := r.read(path, "", 0); err != nil {
		return nil, err
	}
	return r.formats, nil
}

type confReader struct {
	root    string
	files   int
	formats []*AccessFormat
	names   map[string]string // log_format name → where it was defined
}

// read reads one configuration file; from says where it was included.
func (r *confReader) read(path, from string, depth int) error {
	where := path
	if from != "" {
		where = path + " (included from " + from + ")"
	}
	if depth > maxConfIncludeDepth {
		return fmt.Errorf("cannot read nginx config %s: includes nested deeper than %d (an include cycle?)", where, maxConfIncludeDepth)
	}
	if r.files++; r.files > maxConfFiles {
		return fmt.Errorf("cannot read nginx config %s: more than %d files included", where, maxConfFiles)
	}
	src, err := readConfFile(path)
	if err != nil {
		return fmt.Errorf("cannot read nginx config %s: %w", where, err)
	}
	l := newConfLexer(src)
	blocks := 0
	for {
		words, end, line, err := l.directive()
		if err != nil {
			return fmt.Errorf("nginx config %s: %w", path, err)
		}
		at := fmt.Sprintf("%s:%d", path, line)
		switch end {
		case '{':
			blocks++
			continue
		case '}':
			if blocks == 0 {
				return fmt.Errorf("nginx config %s: unexpected }", at)
			}
			blocks--
			continue
		case 0:
			if len(words) > 0 {
				return fmt.Errorf("nginx config %s: directive %q has no ;", at, words[0])
			}
			if blocks > 0 {
				return fmt.Errorf("nginx config %s: unexpected end of file, expecting }", path)
			}
			return nil
		}
		if len(words) == 0 {
			continue // a lone ';'
		}
		switch words[0] {
		case "log_format":
			f, err := logFormatFromArgs(words[1:])
			if err != nil {
				return fmt.Errorf("nginx config %s: %w", at, err)
			}
			if f.name == "combined" {
				return fmt.Errorf("nginx config %s: log_format combined is built in and cannot be redefined", at)
			}
			if prev, dup := r.names[f.name]; dup {
				return fmt.Errorf("nginx config %s: duplicate log_format name %q (first defined at %s)", at, f.name, prev)
			}
			r.names[f.name] = at
			r.formats = append(r.formats, f)
		case "include":
			if len(words) != 2 {
				return fmt.Errorf("nginx config %s: include takes one file name or pattern", at)
			}
			if err := r.include(words[1], at, depth); err != nil {
				return err
			}
		}
	}
}

// include reads the files an include directive names.
func (r *confReader) include(arg, at string, depth int) error {
	p := arg
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.root, p)
	}
	if !strings.ContainsAny(arg, "*?[") {
		return r.read(p, at, depth+1)
	}
	matches, err := filepath.Glob(p)
	if err != nil {
		return fmt.Errorf("nginx config %s: include %q: %w", at, arg, err)
	}
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.IsDir() {
			continue
		}
		if err := r.read(m, at, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// readConfFile reads a configuration file, at most maxConfFileSize bytes.
func readConfFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return "", errors.New("is a directory")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxConfFileSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxConfFileSize {
		return "", fmt.Errorf("larger than %d bytes", maxConfFileSize)
	}
	return string(b), nil
}
