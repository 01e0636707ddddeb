package main

import (
	"os"
	"testing"
)

// TestMain keeps the tests independent of the machine: no configuration
// of its own (nginx.conf, php-fpm pools, my.cnf) is read unless a test
// says so. Started with childEnv set, the test binary is logcause itself,
// run by a test in a child process (childMain).
func TestMain(m *testing.M) {
	empty, err := os.MkdirTemp("", "logcause-empty-root")
	if err != nil {
		panic(err)
	}
	emptyRoot = empty
	var code int
	if mode := os.Getenv(childEnv); mode != "" {
		code = childMain(mode, os.Args[1:]) // the test binary as logcause, in a child process
	} else {
		code = m.Run()
	}
	os.RemoveAll(empty)
	os.Exit(code)
}

// emptyRoot is the config root of the tests' machine: it holds nothing.
var emptyRoot string
