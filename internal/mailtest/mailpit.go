package mailtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/freeport"
)

// Version is the mailpit the tests drive (.ci/run installs it).
const Version = "v1.33.1"

// Mailpit is a real SMTP server, mailpit, on loopback ports of its own;
// its REST API reads back what it received.
type Mailpit struct {
	SMTPPort int
	implicit bool // implicit TLS: the greeting comes after the handshake
	api      string
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has exited
	mu       sync.Mutex
	log      strings.Builder // what it logged
}

// binary finds mailpit on PATH, else where `go install` puts it.
func binary(t testing.TB) string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(gopath, "bin")} {
		if p := filepath.Join(dir, "mailpit"); dir != "" && isFile(p) {
			return p
		}
	}
	t.Fatalf("mailpit is not installed: go install github.com/axllent/mailpit@%s (.ci/run does)", Version)
	return ""
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && st.Mode().IsRegular() }

// Start starts mailpit with the extra flags (TLS, authentication) on free
// loopback ports, waits until its SMTP server greets and its API answers,
// and stops it (by its PID) when the test ends.
func Start(t testing.TB, flags ...string) *Mailpit {
	t.Helper()
	ports := freeport.Loopbacks(t, 2) // two different ones
	m := &Mailpit{SMTPPort: ports[0], implicit: slices.Contains(flags, "--smtp-require-tls"), exited: make(chan struct{})}
	httpAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	m.api = "http://" + httpAddr + "/api/v1/"
	args := append([]string{"--smtp", "127.0.0.1:" + strconv.Itoa(m.SMTPPort), "--listen", httpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--disable-version-check"}, flags...)
	m.cmd = exec.Command(binary(t), args...)
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	m.cmd.Stderr = m.cmd.Stdout
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("cannot start mailpit: %v", err)
	}
	// Its log says when each server starts; the lines are read until it
	// exits, and kept for failure messages.
	started := make(chan struct{}) // closed once both servers said they start
	go func() {
		defer close(m.exited)
		var smtpUp, httpUp bool
		s := bufio.NewScanner(out)
		for s.Scan() {
			m.mu.Lock()
			m.log.WriteString(s.Text() + "\n")
			m.mu.Unlock()
			if !smtpUp || !httpUp {
				smtpUp = smtpUp || strings.Contains(s.Text(), "[smtpd] starting on")
				httpUp = httpUp || strings.Contains(s.Text(), "[http] accessible via")
				if smtpUp && httpUp {
					close(started)
				}
			}
		}
		m.cmd.Wait()
	}()
	t.Cleanup(m.Stop)
	select {
	case <-started:
	case <-m.exited:
		t.Fatalf("mailpit %v exited before it served:\n%s", args, m.Log())
	}
	// Logged just before listening: poll, a bounded number of times, until
	// both answer.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for try := 0; ; try++ {
		if m.greets() && m.answers() {
			return m
		}
		if try == 100 {
			t.Fatalf("mailpit does not answer on 127.0.0.1:%d and %s after %d tries:\n%s", m.SMTPPort, httpAddr, try, m.Log())
		}
		select {
		case <-tick.C:
		case <-m.exited:
			t.Fatalf("mailpit exited:\n%s", m.Log())
		}
	}
}

// greets reports whether the SMTP server sent its 220 greeting.
func (m *Mailpit) greets() bool {
	addr := "127.0.0.1:" + strconv.Itoa(m.SMTPPort)
	var c net.Conn
	var err error
	if m.implicit {
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // #nosec G402 -- a probe of readiness, nothing sent
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return false
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "220")
}

func (m *Mailpit) answers() bool {
	resp, err := http.Get(m.api + "messages")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends mailpit by its PID and waits for it; Start has it called when
// the test ends.
func (m *Mailpit) Stop() {
	if m.cmd.Process != nil {
		m.cmd.Process.Signal(syscall.SIGTERM)
	}
	<-m.exited
}

// Log is what mailpit logged so far.
func (m *Mailpit) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.log.String()
}

// Address is a sender or recipient as the API gives it.
type Address struct{ Name, Address string }

// Part is an inline part or an attachment.
type Part struct {
	PartID, FileName, ContentType, ContentID string
	Size                                     int
}

// Message is a received message as mailpit parsed it.
type Message struct {
	ID          string
	From        Address
	To, Cc, Bcc []Address
	Subject     string
	Text, HTML  string
	Inline      []Part
	Attachments []Part
}

// Messages are the received messages, each read in full, the newest first.
func (m *Mailpit) Messages(t testing.TB) []Message {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	m.get(t, "messages", &list)
	msgs := make([]Message, len(list.Messages))
	for i, s := range list.Messages {
		m.get(t, "message/"+s.ID, &msgs[i])
	}
	return msgs
}

// PartData is the content of a message's part.
func (m *Mailpit) PartData(t testing.TB, id, part string) []byte {
	t.Helper()
	return m.fetch(t, "message/"+id+"/part/"+part)
}

func (m *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(m.fetch(t, path), v); err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
}

func (m *Mailpit) fetch(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API %s: %s %v: %s", path, resp.Status, err, b)
	}
	return b
}

// SelfSigned writes a self-signed certificate for 127.0.0.1 and its key
// in dir; the certificate is its own CA.
func SelfSigned(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "logcause test SMTP"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "smtp.crt"), filepath.Join(dir, "smtp.key")
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(fmt.Errorf("cannot write %s: %w", path, err))
	}
}
