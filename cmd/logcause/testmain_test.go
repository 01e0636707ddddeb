package main

import (
	"context"
	"os"
	"testing"
)

// TestMain keeps the tests independent of the machine: no configuration
// of its own (nginx.conf, php-fpm pools, my.cnf) is read unless a test
// says so.
func TestMain(m *testing.M) {
	empty, err := os.MkdirTemp("", "logcause-empty-root")
	if err != nil {
		panic(err)
	}
	emptyRoot = empty
	if os.Getenv(asCLI) != "" { // run as logcause by runDenied
		e := testEnv()
		e.stdout, e.stderr = os.Stdout, os.Stderr
		code := run(context.Background(), os.Args[1:], e)
		os.RemoveAll(empty)
		os.Exit(code)
	}
	code := m.Run()
	os.RemoveAll(empty)
	os.Exit(code)
}

// emptyRoot is the config root of the tests' machine: it holds nothing.
var emptyRoot string
