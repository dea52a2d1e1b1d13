package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultSMTPTimeout bounds one SMTPSender.Send when NewSMTPSender gets 0.
const DefaultSMTPTimeout = 10 * time.Second

// SMTPSender delivers messages to an SMTP server (a relay or a submission
// service), one connection per message.
//
//	smtp://[user:password@]host[:port]   port 587 by default; STARTTLS when the
//	                                     server offers it, plain otherwise
//	smtps://[user:password@]host[:port]  implicit TLS, port 465 by default
//
// User and password are percent-decoded. With them the sender authenticates
// with the strongest mechanism the server offers (go-mail's auto-discovery);
// PLAIN and LOGIN are only used on an encrypted connection, so a password is
// never sent in clear text. The server certificate is always verified
// against the system roots.
type SMTPSender struct {
	from    string
	cfg     smtpConfig
	timeout time.Duration

	// tlsConfig, when set, replaces the default TLS client configuration
	// (tests use it to trust a self-signed certificate). Its ServerName is
	// filled in from the URL when empty.
	tlsConfig *tls.Config
}

// smtpConfig is a parsed smtp:// or smtps:// URL.
type smtpConfig struct {
	implicitTLS bool   // smtps://
	host        string // host name or IP, without brackets
	port        int
	user, pass  string // empty: no AUTH
	safe        string // the URL without user information and query, for messages
}

// auth tells whether the URL carried credentials.
func (c smtpConfig) auth() bool { return c.user != "" }

// dialHost is the host in the form go-mail joins with ":port".
func (c smtpConfig) dialHost() string {
	if strings.Contains(c.host, ":") {
		return "[" + c.host + "]"
	}
	return c.host
}

// NewSMTPSender parses rawURL (see SMTPSender) without connecting. timeout
// bounds each Send as a whole, connection included; 0 means
// DefaultSMTPTimeout.
func NewSMTPSender(rawURL, from string, timeout time.Duration) (*SMTPSender, error) {
	cfg, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := ValidateFrom(from); err != nil {
		return nil, err
	}
	switch {
	case timeout == 0:
		timeout = DefaultSMTPTimeout
	case timeout < 0:
		return nil, fmt.Errorf("mail %s: negative SMTP timeout %v", cfg.safe, timeout)
	}
	return &SMTPSender{from: from, cfg: cfg, timeout: timeout}, nil
}

// safeSMTPSpec is raw with the user information and anything after the
// host (path, query, fragment) hidden, for error messages. It errs on the side of
// hiding too much: raw may be malformed.
func safeSMTPSpec(raw string) string {
	s := raw
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	} else if i := strings.Index(s, ":"); i >= 0 {
		start = i + 1
	}
	if at := strings.LastIndex(s, "@"); at >= start {
		s = s[:start] + "…@" + s[at+1:]
	}
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		s = s[:start+i+1] + "…"
	}
	return strconv.Quote(s)
}

// parseSMTPURL checks and splits an smtp:// or smtps:// URL. Its errors
// never contain the password.
func parseSMTPURL(raw string) (smtpConfig, error) {
	safe := safeSMTPSpec(raw)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mail %s: SMTP URL: %s; want smtp://[user:password@]host[:port] or smtps://…", safe, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error repeats the whole URL, password included: keep only
		// the cause, and not even that for a bad %-escape (it quotes part
		// of the input).
		var escErr url.EscapeError
		var ue *url.Error
		switch {
		case errors.As(err, &escErr):
			return smtpConfig{}, bad("invalid %%-escape (encode special characters in user and password as %%XX)")
		case errors.As(err, &ue):
			return smtpConfig{}, bad("%v", ue.Err)
		default:
			return smtpConfig{}, bad("cannot parse")
		}
	}
	cfg := smtpConfig{safe: safe}
	switch u.Scheme {
	case "smtp":
		cfg.port = 587
	case "smtps":
		cfg.implicitTLS = true
		cfg.port = 465
	default:
		return smtpConfig{}, bad("unsupported scheme %q", u.Scheme)
	}
	if u.Opaque != "" {
		return smtpConfig{}, bad("missing //")
	}
	cfg.host = u.Hostname()
	if cfg.host == "" {
		return smtpConfig{}, bad("missing host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return smtpConfig{}, bad("bad port %q", p)
		}
		cfg.port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return smtpConfig{}, bad("empty port")
	}
	if u.Path != "" && u.Path != "/" {
		return smtpConfig{}, bad("unexpected path")
	}
	if u.Fragment != "" {
		return smtpConfig{}, bad("unexpected #fragment")
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return smtpConfig{}, bad("malformed query")
		}
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if slices.Contains(keys, "insecure_skip_verify") {
			return smtpConfig{}, bad("query parameter insecure_skip_verify is not supported: the server certificate is always verified (add its CA to the system trust store)")
		}
		return smtpConfig{}, bad("unknown query parameter(s) %q (none are supported)", keys)
	}
	if u.User != nil {
		cfg.user = u.User.Username()
		pass, hasPass := u.User.Password()
		cfg.pass = pass
		switch {
		case cfg.user == "" && pass != "":
			return smtpConfig{}, bad("password without user")
		case cfg.user != "" && (!hasPass || pass == ""):
			return smtpConfig{}, bad("user %q without password", cfg.user)
		}
	}
	return cfg, nil
}

// buildMsg builds m as a multipart/alternative message from from: the
// message of Encode and of SMTPSender.Send.
func buildMsg(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Send delivers m over a new connection. The whole exchange (connect, TLS,
// AUTH, transfer, QUIT) is bounded by the sender's timeout. Cancelling ctx
// aborts the connection phase; once connected, the remaining exchange runs
// to the end or to the timeout.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := buildMsg(s.from, m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.cfg.dialHost(), s.options()...)
	if err != nil {
		return s.wrap(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.wrap(err)
	}
	return nil
}

// options is the go-mail configuration for one Send.
//
// go-mail applies its timeout twice: the connection phase (dial, greeting,
// EHLO, STARTTLS, AUTH) gets one deadline, and the transfer (NOOP check
// aside: MAIL, RCPT, DATA, QUIT) gets a fresh one. Each therefore gets
// half of ours, so that the whole Send stays within s.timeout.
func (s *SMTPSender) options() []gomail.Option {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		tlsConfig = s.tlsConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = s.cfg.host
	}
	phase := max(s.timeout/2, time.Millisecond)
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.port), // no fallback to port 25
		gomail.WithTimeout(phase),
		gomail.WithTLSConfig(tlsConfig),
	}
	if s.cfg.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS when offered (and then the certificate must verify),
		// plain otherwise.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.cfg.auth() {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.user),
			gomail.WithPassword(s.cfg.pass))
	}
	return opts
}

// wrap names the server in err, and makes sure that the password is not in
// the message whatever the server or the library echoed.
func (s *SMTPSender) wrap(err error) error {
	text := err.Error()
	if p := s.cfg.pass; p != "" {
		for _, form := range []string{p, url.QueryEscape(p), url.PathEscape(p), url.UserPassword("", p).String()[1:]} {
			if form != "" {
				text = strings.ReplaceAll(text, form, "…")
			}
		}
	}
	return &smtpSendError{text: fmt.Sprintf("mail: send via %s: %s", s.cfg.safe, text), err: err}
}

// smtpSendError is a scrubbed error message that still unwraps to the
// go-mail error (for errors.As with *gomail.SendError and its IsTemp).
type smtpSendError struct {
	text string
	err  error
}

func (e *smtpSendError) Error() string { return e.text }
func (e *smtpSendError) Unwrap() error { return e.err }

// Check connects to the server as Send would — EHLO, STARTTLS when
// offered (or implicit TLS), AUTH when the URL has credentials — and says
// QUIT without sending anything: `portal check`.
func (s *SMTPSender) Check(ctx context.Context) error {
	client, err := gomail.NewClient(s.cfg.dialHost(), s.options()...)
	if err != nil {
		return s.wrap(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := client.DialWithContext(ctx); err != nil {
		return s.wrap(err)
	}
	if err := client.Close(); err != nil {
		return s.wrap(err)
	}
	return nil
}
