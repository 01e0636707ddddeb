package config

import "fmt"

// UsageError is a value the user gave that is not valid: a flag's, or a
// path to read that is not there. Commands exit with their usage status
// (2) for it, where an error of the machine (a file that cannot be read)
// exits 1.
type UsageError struct{ Err error }

func (u UsageError) Error() string { return u.Err.Error() }
func (u UsageError) Unwrap() error { return u.Err }

// Usagef is a UsageError of the message.
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }
