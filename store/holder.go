package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// holderFile is written beside Badger's LOCK by the process that opened
// the store (every Open is for writing), and removed by its Close: it
// tells a second process which one holds the store, and so what to stop.
// Badger's lock decides who holds the store; this file only informs. One
// left behind by a process that was killed does not block the next
// opener, which writes its own, and is not quoted while the process it
// names no longer runs.
const holderFile = "logcause.pid"

type holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// writeHolder writes this process into dir's holder file.
func writeHolder(dir string) error {
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > 200 {
		cmd = cmd[:200] + "…"
	}
	b, err := json.Marshal(holder{PID: os.Getpid(), Command: cmd, Since: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, holderFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, holderFile))
}

// Holder returns the running process that the holder file of dir names,
// its pid and command line, and false when it names none.
func Holder(dir string) (pid int, command string, ok bool) {
	h, ok := readHolder(dir)
	return h.PID, h.Command, ok
}

func readHolder(dir string) (holder, bool) {
	b, err := os.ReadFile(filepath.Join(dir, holderFile))
	if err != nil {
		return holder{}, false
	}
	var h holder
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return holder{}, false
	}
	if err := syscall.Kill(h.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return holder{}, false // left behind by a process that no longer runs
	}
	return h, true
}

// heldBy says which running process the holder file of dir names, or ""
// when it names none.
func heldBy(dir string) string {
	h, ok := readHolder(dir)
	if !ok {
		return ""
	}
	return fmt.Sprintf("process %d (%s) holds it, since %s", h.PID, h.Command, h.Since.Format(time.DateTime+" UTC"))
}

// lockedError is the error of opening the store in dir that another
// process holds.
func lockedError(dir string) error {
	if who := heldBy(dir); who != "" {
		return fmt.Errorf("cannot open the store in %s: %w: %s; stop it, or give this command another --store", dir, ErrLocked, who)
	}
	return fmt.Errorf("cannot open the store in %s: %w (is `logcause watch` running on it?); stop it, or give this command another --store", dir, ErrLocked)
}
