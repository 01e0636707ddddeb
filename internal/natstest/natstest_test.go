package natstest_test

import (
	"testing"

	"github.com/logcause/logcause/internal/natstest"
)

// TestStart starts a 3-node cluster: it elects a metadata leader, and
// killing the leader of no stream kills nothing.
func TestStart(t *testing.T) {
	c := natstest.Start(t, 3)
	if got := c.KillStreamLeader("NONE"); got != "" {
		t.Errorf("killed %s, the leader of no stream", got)
	}
}
