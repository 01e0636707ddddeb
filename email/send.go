package email

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/report"
)

// DefaultTimeout bounds the connection to the SMTP server, and then each
// exchange with it (the message included).
const DefaultTimeout = 30 * time.Second

// Mailer sends report and alert mails through one SMTP server. It is the
// entry point for whoever mails reports (`logcause report --email`, the
// daemon's schedule) and of the alerts' mail (package alert's Mailer).
type Mailer struct {
	server   config.SMTP
	password string
	tls      *tls.Config
	bodies   Bodies
	host     string
	zone     *time.Location
	timeout  time.Duration
}

// Options are what a Mailer needs besides the server.
type Options struct {
	Bodies Bodies
	// Zone is the zone of the times in subjects; nil: UTC.
	Zone *time.Location
	// Timeout bounds the connection, then each exchange; 0: DefaultTimeout.
	Timeout time.Duration
}

// New checks that the server is configured and reads what sending needs
// (the password, the CA file) once.
func New(server config.SMTP, opts Options) (*Mailer, error) {
	if !server.Configured() {
		return nil, errors.New("cannot send mail: no SMTP server is configured; set smtp.host and smtp.from in the config file (see `logcause config example`) and pass it with --config")
	}
	if opts.Bodies.Text == nil {
		return nil, errors.New("cannot send mail: no text renderer")
	}
	password, err := server.Password()
	if err != nil {
		return nil, fmt.Errorf("cannot send mail: %w", err)
	}
	tc, err := tlsConfig(server)
	if err != nil {
		return nil, err
	}
	host := server.Name
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("cannot name this server in the subject: %w; set smtp.name in the config file", err)
		}
	}
	return &Mailer{
		server: server, password: password, tls: tc, bodies: opts.Bodies, host: host,
		zone: opts.Zone, timeout: cmp.Or(opts.Timeout, DefaultTimeout),
	}, nil
}

// ForRecipients is the Mailer of a report mailed to list (--email: the
// addresses, separated by commas, each checked: an invalid one is a
// config.UsageError) through server, with the times of its subject in
// zone; it returns the addresses too.
func ForRecipients(list string, server config.SMTP, zone *time.Location) (*Mailer, []string, error) {
	to, err := ParseRecipients(list)
	if err != nil {
		return nil, nil, config.Usagef("invalid --email: %w", err)
	}
	m, err := New(server, Options{Bodies: ReportBodies(), Zone: zone})
	return m, to, err
}

// ForConfig is the Mailer of what cfg sends by mail, its reports and its
// alerts (alerts.email), with the times of subjects in zone; nil, and no
// error, when it sends neither. An SMTP server that is not configured or
// not usable is an error.
func ForConfig(cfg config.Config, zone *time.Location) (*Mailer, error) {
	if len(cfg.Reports) == 0 && len(cfg.Alerts.Email) == 0 {
		return nil, nil
	}
	return New(cfg.SMTP, Options{Bodies: ReportBodies(), Zone: zone})
}

func tlsConfig(s config.SMTP) (*tls.Config, error) {
	tc := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.InsecureSkipVerify} // #nosec G402 -- the user's explicit choice
	if s.CAFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read smtp.ca_file: %w", err)
	}
	tc.RootCAs = x509.NewCertPool()
	if !tc.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cannot use smtp.ca_file %s: it holds no PEM certificate (-----BEGIN CERTIFICATE-----)", s.CAFile)
	}
	return tc, nil
}

// In is the mailer giving the times of its subjects in zone (a scheduled
// report's own zone); m is unchanged.
func (m *Mailer) In(zone *time.Location) *Mailer {
	c := *m
	c.zone = zone
	return &c
}

// Host is the server's name as subjects give it.
func (m *Mailer) Host() string { return m.host }

// Server is where mail goes, host:port, for messages.
func (m *Mailer) Server() string {
	return net.JoinHostPort(m.server.Host, strconv.Itoa(m.server.ServerPort()))
}

// Send composes the report mail of res and sends it to the addresses to.
func (m *Mailer) Send(ctx context.Context, res analyze.Result, to []string) error {
	msg, err := Compose(res, Envelope{From: m.server.From, To: to, Host: m.host, Zone: m.zone}, m.bodies)
	if err != nil {
		return err
	}
	return m.deliver(ctx, msg, "report")
}

// Deliver mails the report of res to the addresses to, says so on w
// ("logcause: report mailed to … through …"), and writes it to out.File
// as well when one is given; it returns where the report went.
func (m *Mailer) Deliver(ctx context.Context, w io.Writer, res analyze.Result, to []string, out report.Output, render report.RenderFunc) (where string, err error) {
	if err := m.Send(ctx, res, to); err != nil {
		return "", err
	}
	where = "mailed to " + strings.Join(to, ", ")
	fmt.Fprintf(w, "logcause: report %s through %s\n", where, m.Server())
	if out.File != "" {
		if err := report.WriteFile(out.File, res, render); err != nil {
			return "", err
		}
		where += " and written in " + out.File
	}
	return where, nil
}

// SendReport mails res, the analysis of a run of the scheduled report
// job, to its recipients, the times of the subject in its zone: what the
// daemon's schedule delivers through.
func (m *Mailer) SendReport(ctx context.Context, job config.Report, res analyze.Result) error {
	return m.In(job.Zone()).Send(ctx, res, job.Email)
}

// SendAlert sends an alert mail (package alert's): the subject, and the
// text with its HTML alternative; no chart. The subject, the sender and
// the recipients are checked as the report mail's are: a line break or
// another control character is refused.
func (m *Mailer) SendAlert(ctx context.Context, to []string, subject, text, html string) error {
	msg, err := composeAlert(m.server.From, to, subject, text, html)
	if err != nil {
		return err
	}
	return m.deliver(ctx, msg, "alert")
}

// composeAlert builds the alert mail.
func composeAlert(from string, to []string, subject, text, html string) (*gomail.Msg, error) {
	if len(to) == 0 {
		return nil, errors.New("cannot compose the alert mail: no recipient; list addresses under alerts.email")
	}
	for _, v := range append([]string{subject, from}, to...) {
		if err := HeaderSafe(v); err != nil {
			return nil, fmt.Errorf("cannot compose the alert mail: %w", err)
		}
	}
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("cannot compose the alert mail: the sender %q: %w (check smtp.from)", from, err)
	}
	if err := msg.To(to...); err != nil {
		return nil, fmt.Errorf("cannot compose the alert mail: the recipients %q: %w (check alerts.email)", to, err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, text)
	if html != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, html)
	}
	return msg, nil
}

// deliver sends msg, a mail of the kind what, through the server.
func (m *Mailer) deliver(ctx context.Context, msg *gomail.Msg, what string) error {
	opts := []gomail.Option{
		gomail.WithPort(m.server.ServerPort()),
		gomail.WithTimeout(m.timeout),
		gomail.WithTLSConfig(m.tls),
	}
	switch m.server.Security {
	case config.SecurityTLS:
		opts = append(opts, gomail.WithSSL()) // implicit TLS: STARTTLS alone waits for ever on port 465
	case config.SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.server.Username), gomail.WithPassword(m.password))
	}
	c, err := gomail.NewClient(m.server.Host, opts...)
	if err != nil {
		return fmt.Errorf("cannot send mail through %s: %w", m.Server(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return m.explain(err, what)
	}
	return nil
}

// explain turns a failure to send into what the operator should check.
func (m *Mailer) explain(err error, what string) error {
	var (
		tpErr   *textproto.Error
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		name    x509.HostnameError
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		netErr  net.Error
		opErr   *net.OpError
		sendErr *gomail.SendError
	)
	msg := err.Error()
	var hint string
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &name), errors.As(err, &verify):
		hint = "the server's certificate is not trusted: check smtp.host is the name on the certificate, and name the CA that signed it in smtp.ca_file (PEM)"
	case errors.As(err, &record), strings.Contains(msg, "first record does not look like a TLS handshake"):
		hint = "the server does not speak TLS on this port: check smtp.security and smtp.port (tls is implicit TLS, usually port 465; starttls usually 587)"
	case strings.Contains(msg, "does not support STARTTLS"):
		hint = "the server offers no STARTTLS: check smtp.port and smtp.security (tls for implicit TLS, usually port 465; none only for a relay on a trusted network)"
	case strings.Contains(msg, "does not support SMTP AUTH"), errors.Is(err, gomail.ErrNoSupportedAuthDiscovered):
		hint = "the server offers no login here (many offer one only over TLS): check smtp.security, or leave smtp.username empty for a server that takes mail without a login"
	case errors.As(err, &tpErr) && (tpErr.Code == 535 || tpErr.Code == 534 || tpErr.Code == 530 || tpErr.Code == 454 && strings.Contains(strings.ToLower(tpErr.Msg), "auth")):
		hint = "the server refused the login: check smtp.username and the password (smtp.password_file or " + config.PasswordEnv + ")"
	case errors.As(err, &sendErr) && sendErr.Reason == gomail.ErrSMTPRcptTo:
		hint = "the server refused a recipient: check the addresses given to --email or under alerts.email, and that the server relays to them for smtp.username"
	case errors.As(err, &sendErr) && sendErr.Reason == gomail.ErrSMTPMailFrom:
		hint = "the server refused the sender: check smtp.from (many servers take only their users' own addresses)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		hint = fmt.Sprintf("no answer within %s: check smtp.host, smtp.port and smtp.security (implicit TLS on a STARTTLS port, or the reverse, waits without an answer), and that a firewall lets the port through", m.timeout)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		hint = "cannot connect: check smtp.host and smtp.port, and that the server runs and a firewall lets the port through"
	default:
		hint = "check smtp.host, smtp.port, smtp.security, the login (smtp.username, smtp.password_file) and the server's certificate (smtp.ca_file)"
	}
	return fmt.Errorf("cannot send the %s mail through %s (security %s): %w; %s", what, m.Server(), m.server.Security, err, hint)
}
