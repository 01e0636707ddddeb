package timeline

import (
	"testing"
	"time"
)

func TestLaterEarlier(t *testing.T) {
	a := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := a.Add(time.Second)
	if got := Later(a, b); !got.Equal(b) {
		t.Errorf("Later(a, b) = %v, want %v", got, b)
	}
	if got := Later(b, a); !got.Equal(b) {
		t.Errorf("Later(b, a) = %v, want %v", got, b)
	}
	if got := Earlier(a, b); !got.Equal(a) {
		t.Errorf("Earlier(a, b) = %v, want %v", got, a)
	}
	if got := Earlier(b, a); !got.Equal(a) {
		t.Errorf("Earlier(b, a) = %v, want %v", got, a)
	}
}
