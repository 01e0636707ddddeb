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
	switch {
	case os.Getenv(asCLI) != "": // run as logcause by runDenied
		code = childMain("plain", os.Args[1:])
	case os.Getenv(childEnv) != "": // run as logcause by a test that drives it (childMain)
		code = childMain(os.Getenv(childEnv), os.Args[1:])
	default:
		code = m.Run()
	}
	os.RemoveAll(empty)
	os.Exit(code)
}

// emptyRoot is the config root of the tests' machine: it holds nothing.
var emptyRoot string
