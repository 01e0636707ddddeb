package pipeline

import (
	"testing"

	"github.com/logcause/logcause/patterns"
)

func TestKept(t *testing.T) {
	for _, tc := range []struct {
		ev   patterns.Event
		want bool
	}{
		{patterns.Event{Syslog: &patterns.Syslog{Program: "cron", Message: "job ran"}}, false},
		{patterns.Event{Syslog: &patterns.Syslog{Program: "kernel", Event: "oom_kill"}}, true},
		{patterns.Event{HAProxy: &patterns.HAProxy{Status: 200}}, false},
		{patterns.Event{HAProxy: &patterns.HAProxy{Status: 503}}, true},
		{patterns.Event{HAProxy: &patterns.HAProxy{Status: -1, Message: "Server be/s1 is DOWN"}}, true},
		{patterns.Event{Error: &patterns.NginxError{}}, true},
		{patterns.Event{Slow: &patterns.SlowQuery{}}, true},
		{patterns.Event{Access: &patterns.Access{Status: 200}}, false},
		{patterns.Event{Access: &patterns.Access{Status: 502}}, true},
	} {
		if got := Kept(&tc.ev); got != tc.want {
			t.Errorf("Kept(%s) = %v", tc.ev.AppendJSON(nil), got)
		}
	}
}
