package config

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
)

// PasswordEnv is the environment variable that holds the SMTP password
// when smtp.password_file is not set.
const PasswordEnv = "LOGCAUSE_SMTP_PASSWORD"

// SMTP is the smtp section: the server report mails are sent through.
// Parse has checked every value.
type SMTP struct {
	Host string `yaml:"host"`
	// Port 0 is the security's usual port: 587 for starttls, 465 for tls,
	// 25 for none.
	Port     int    `yaml:"port"`
	Security string `yaml:"security"` // starttls, tls (implicit TLS) or none
	Username string `yaml:"username"`
	// PasswordFile holds the password (its first line); without it, the
	// password is the environment variable PasswordEnv.
	PasswordFile string `yaml:"password_file"`
	// InlinePassword is the refused key `password:`, read only to say
	// where a password goes instead.
	InlinePassword string `yaml:"password"`
	From           string `yaml:"from"`
	// CAFile is a PEM file of the certificate authorities that sign the
	// server's certificate; empty: the system's.
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	// Name is this server's name in the subject of report mails; empty:
	// the machine's host name.
	Name string `yaml:"name"`
}

// The values of smtp.security.
const (
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// DefaultSMTP is the smtp section without a file: no server.
func DefaultSMTP() SMTP { return SMTP{Security: SecurityStartTLS} }

// Configured reports whether a server to send mail through is set.
func (s SMTP) Configured() bool { return s.Host != "" }

// ServerPort is the port to connect to: Port, or the security's usual one.
func (s SMTP) ServerPort() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.Security == SecurityTLS:
		return 465
	case s.Security == SecurityNone:
		return 25
	}
	return 587
}

// check says what is wrong with the section, if anything.
func (s SMTP) check() error {
	if s.InlinePassword != "" {
		return fmt.Errorf("smtp.password is not read: the config file is no place for a secret; put the password in a file only logcause can read and name it in smtp.password_file, or set %s", PasswordEnv)
	}
	switch s.Security {
	case SecurityStartTLS, SecurityTLS, SecurityNone:
	default:
		return fmt.Errorf("smtp.security %q: use starttls (STARTTLS, usually port 587), tls (implicit TLS, usually port 465) or none", s.Security)
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("smtp.port %d: use a port from 1 to 65535, or 0 for the security's usual one", s.Port)
	}
	if s.PasswordFile != "" && s.Username == "" {
		return errors.New("smtp.password_file is set but smtp.username is not: set both, or neither for a server without login")
	}
	if s.Security == SecurityNone && (s.CAFile != "" || s.InsecureSkipVerify) {
		return errors.New("smtp.ca_file and smtp.insecure_skip_verify apply to security starttls or tls, not none")
	}
	if s.CAFile != "" && s.InsecureSkipVerify {
		return errors.New("smtp.ca_file and smtp.insecure_skip_verify contradict each other: name the CA that signed the server's certificate in ca_file, and leave insecure_skip_verify false")
	}
	if s.From != "" {
		if _, err := mail.ParseAddress(s.From); err != nil {
			return fmt.Errorf("smtp.from %q: %v (write an address such as logcause@example.com or \"logcause <logcause@example.com>\")", s.From, err)
		}
	}
	if s.Host != "" && s.From == "" {
		return errors.New("smtp.from is needed to send mail: the address report mails come from, e.g. logcause@example.com")
	}
	return nil
}

// Password is the password to log in with: the first line of PasswordFile,
// else the environment variable PasswordEnv. Without a username there is
// no login and no password.
func (s SMTP) Password() (string, error) {
	if s.Username == "" {
		return "", nil
	}
	if s.PasswordFile == "" {
		if p, ok := os.LookupEnv(PasswordEnv); ok && p != "" {
			return p, nil
		}
		return "", fmt.Errorf("smtp.username %s has no password: name the file that holds it in smtp.password_file, or set %s", s.Username, PasswordEnv)
	}
	b, err := os.ReadFile(s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("cannot read the SMTP password from smtp.password_file: %w", err)
	}
	p, _, _ := strings.Cut(string(b), "\n")
	p = strings.TrimSuffix(p, "\r")
	if p == "" {
		return "", fmt.Errorf("the SMTP password file %s is empty: write the password on its first line", s.PasswordFile)
	}
	return p, nil
}
