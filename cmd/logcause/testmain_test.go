package main

import (
	"os"
	"testing"
)

// TestMain keeps the tests independent of the machine: no nginx.conf of
// its own is read unless a test says so.
func TestMain(m *testing.M) {
	defaultNginxConf = "/nonexistent/nginx.conf"
	os.Exit(m.Run())
}
