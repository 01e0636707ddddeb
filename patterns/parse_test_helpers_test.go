package patterns

import (
	"errors"
	"strings"
	"testing"
)

// wantMalformed fails the test unless err says rec is a malformed record
// of kind: ErrMalformed, "malformed KIND record: ", and want in the text.
func wantMalformed(t *testing.T, kind Kind, rec string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse(%q) = nil error, want one containing %q", rec, want)
	}
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) ||
		!strings.HasPrefix(err.Error(), "malformed "+kind.String()+" record: ") {
		t.Fatalf("error = %q, want ErrMalformed containing %q", err, want)
	}
}
