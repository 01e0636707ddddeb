package stackconf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/logcause/logcause/patterns"
)

// Reading nginx's configuration: a lexer like nginx's, a tree of blocks with
// includes expanded (what Read indexes into a NginxConfig), and log_format
// directives (ReadLogFormats, ParseLogFormatDirective).

// Limits of reading configuration files (ReadLogFormats, Read).
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
func logFormatFromArgs(args []string) (*patterns.AccessFormat, error) {
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
	return patterns.CompileLogFormat(name, escape, strings.Join(rest, ""))
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
func ParseLogFormatDirective(s string) (*patterns.AccessFormat, error) {
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

// ReadLogFormats reads the log_format directives of the nginx configuration
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
func ReadLogFormats(path string) ([]*patterns.AccessFormat, error) {
	var formats []*patterns.AccessFormat
	names := map[string]string{} // log_format name → where it was defined
	r := newNginxReader(osSource{}, filepath.Dir(path))
	r.onDirective = func(d *nginxDirective, at string) error {
		if d.name != "log_format" {
			return nil
		}
		f, err := logFormatFromArgs(d.args)
		if err != nil {
			return fmt.Errorf("nginx config %s: %w", at, err)
		}
		if f.Name() == "combined" {
			return fmt.Errorf("nginx config %s: log_format combined is built in and cannot be redefined", at)
		}
		if prev, dup := names[f.Name()]; dup {
			return fmt.Errorf("nginx config %s: duplicate log_format name %q (first defined at %s)", at, f.Name(), prev)
		}
		names[f.Name()] = at
		formats = append(formats, f)
		return nil
	}
	if err := r.read(path, "", 0); err != nil {
		return nil, err
	}
	return formats, nil
}

// nginxBlock is one block of an nginx configuration ("http", "server",
// "location", "upstream", "if", …) with what it holds, includes expanded in
// place. The main context is a block with an empty name.
type nginxBlock struct {
	name   string
	args   []string
	file   string
	line   int
	parent *nginxBlock
	dirs   []*nginxDirective // simple directives, in order
	blocks []*nginxBlock     // blocks inside, in order
}

// nginxDirective is one simple directive (one that ends with ';').
type nginxDirective struct {
	name  string
	args  []string
	file  string
	line  int
	block *nginxBlock
}

// confSource is where nginx reads its files from: the local file system
// (ReadLogFormats) or a server's config root (Read).
type confSource interface {
	// readFile reads a file, at most maxConfFileSize bytes of it.
	readFile(name string) (string, error)
	// glob returns the names matching pattern, sorted. It may return
	// matches and an error about a directory it could not read.
	glob(pattern string) ([]string, error)
	isDir(name string) bool
	// join resolves name, relative or absolute, against directory dir.
	join(dir, name string) string
}

// osSource reads the local file system.
type osSource struct{}

func (osSource) readFile(name string) (string, error)  { return readConfFile(name) }
func (osSource) glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

func (osSource) isDir(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}

func (osSource) join(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// errConfLimit marks the errors that stop reading altogether: includes
// nested too deep (a cycle) or too many files.
var errConfLimit = errors.New("configuration too large")

// limitError is an error that stops reading; it wraps errConfLimit.
type limitError struct{ msg string }

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Is(target error) bool { return target == errConfLimit }

// nginxReader reads an nginx configuration into a tree of blocks.
//
// Strict (the default), the first error ends the read: ReadLogFormats.
// Lenient, an error about one file (unreadable, a syntax error) is kept in
// problems and reading goes on with the next directive of the file that
// included it; only the limits end the read.
type nginxReader struct {
	src       confSource
	dir       string // the main file's directory, where relative includes start
	main      *nginxBlock
	cur       *nginxBlock // the block directives go to
	files     int
	readFiles []string // the files read, in order
	lenient   bool
	problems  []error
	// onDirective, when set, is called for every simple directive but
	// include; at is "file:line". An error from it ends the read.
	onDirective func(d *nginxDirective, at string) error
}

func newNginxReader(src confSource, dir string) *nginxReader {
	main := &nginxBlock{}
	return &nginxReader{src: src, dir: dir, main: main, cur: main}
}

// fail handles an error about one file: it returns it when strict (or
// when it ends the read), and keeps it in problems when lenient.
func (r *nginxReader) fail(err error) error {
	if !r.lenient || errors.Is(err, errConfLimit) {
		return err
	}
	r.problems = append(r.problems, err)
	return nil
}

// read reads one configuration file; from says where it was included.
func (r *nginxReader) read(path, from string, depth int) error {
	where := path
	if from != "" {
		where = path + " (included from " + from + ")"
	}
	if depth > maxConfIncludeDepth {
		return &limitError{fmt.Sprintf("cannot read nginx config %s: includes nested deeper than %d (an include cycle?)", where, maxConfIncludeDepth)}
	}
	if r.files++; r.files > maxConfFiles {
		return &limitError{fmt.Sprintf("cannot read nginx config %s: more than %d files included", where, maxConfFiles)}
	}
	src, err := r.src.readFile(path)
	if err != nil {
		return fmt.Errorf("cannot read nginx config %s: %w", where, err)
	}
	r.readFiles = append(r.readFiles, path)
	base := r.cur
	err = r.parse(path, src, depth)
	r.cur = base // blocks left open by an error end with the file
	return err
}

// parse reads the directives of one file into the current block.
func (r *nginxReader) parse(path, src string, depth int) error {
	l := newConfLexer(src)
	base := r.cur
	for {
		words, end, line, err := l.directive()
		if err != nil {
			return fmt.Errorf("nginx config %s: %w", path, err)
		}
		at := fmt.Sprintf("%s:%d", path, line)
		switch end {
		case '{':
			b := &nginxBlock{file: path, line: line, parent: r.cur}
			if len(words) > 0 {
				b.name, b.args = words[0], words[1:]
			}
			r.cur.blocks = append(r.cur.blocks, b)
			r.cur = b
			continue
		case '}':
			if r.cur == base {
				return fmt.Errorf("nginx config %s: unexpected }", at)
			}
			r.cur = r.cur.parent
			continue
		case 0:
			if len(words) > 0 {
				return fmt.Errorf("nginx config %s: directive %q has no ;", at, words[0])
			}
			if r.cur != base {
				return fmt.Errorf("nginx config %s: unexpected end of file, expecting }", path)
			}
			return nil
		}
		if len(words) == 0 {
			continue // a lone ';'
		}
		if words[0] == "include" {
			if len(words) != 2 {
				err = r.fail(fmt.Errorf("nginx config %s: include takes one file name or pattern", at))
			} else {
				err = r.include(words[1], at, depth)
			}
			if err != nil {
				return err
			}
			continue
		}
		d := &nginxDirective{name: words[0], args: words[1:], file: path, line: line, block: r.cur}
		r.cur.dirs = append(r.cur.dirs, d)
		if r.onDirective != nil {
			if err := r.onDirective(d, at); err != nil {
				return err
			}
		}
	}
}

// include reads the files an include directive names.
func (r *nginxReader) include(arg, at string, depth int) error {
	p := r.src.join(r.dir, arg)
	if !strings.ContainsAny(arg, "*?[") {
		if err := r.read(p, at, depth+1); err != nil {
			return r.fail(err)
		}
		return nil
	}
	matches, err := r.src.glob(p)
	if err != nil {
		if err := r.fail(fmt.Errorf("nginx config %s: include %q: %w", at, arg, err)); err != nil {
			return err
		}
	}
	for _, m := range matches {
		if r.src.isDir(m) {
			continue
		}
		if err := r.read(m, at, depth+1); err != nil {
			if err := r.fail(err); err != nil {
				return err
			}
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
	return readLimited(f)
}

// readLimited reads an open configuration file, at most maxConfFileSize
// bytes; a directory is an error.
func readLimited(f fs.File) (string, error) {
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
