package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"
)

const (
	testFrom     = "Portal <portal@example.org>"
	testTo       = "user@example.com"
	testUser     = "portal"
	testPassword = "s3cret p@ss"
	// testPassword percent-encoded for the URL's userinfo.
	testPasswordURL = "s3cret%20p%40ss"
)

// testMessage has a non-ASCII subject and bodies so that the encoding is
// exercised too.
var testMessage = Message{
	To:      testTo,
	Subject: "Bestätigen Sie Ihre Adresse",
	Text:    "Hallo,\n\nbitte bestätigen: https://portal.example/confirm?t=abc\n",
	HTML:    "<p>Hallo,</p>\n<p>bitte <a href=\"https://portal.example/confirm?t=abc\">bestätigen</a></p>\n",
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "portal test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message the test server accepted.
type received struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool   // the session ran over TLS (STARTTLS or implicit)
	AuthUser string // who authenticated, "" for nobody
}

// backend is a go-smtp Backend that records what it accepts.
type backend struct {
	requireAuth bool  // offer AUTH PLAIN and refuse MAIL without it
	rejectData  error // returned by Data

	mu       sync.Mutex
	messages []received
}

func (be *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{be: be, tls: isTLS}, nil
}

func (be *backend) received() []received {
	be.mu.Lock()
	defer be.mu.Unlock()
	return append([]received(nil), be.messages...)
}

type session struct {
	be       *backend
	tls      bool
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.be.requireAuth {
		return []string{sasl.Plain}
	}
	return nil
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != testUser || password != testPassword {
			return smtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.requireAuth && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.be.rejectData != nil {
		return s.be.rejectData
	}
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	s.be.messages = append(s.be.messages, received{
		From: s.from, To: s.to, Data: data, TLS: s.tls, AuthUser: s.authUser,
	})
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// serverOpts configures startServer.
type serverOpts struct {
	startTLS          bool // offer STARTTLS
	implicitTLS       bool // TLS from the first byte (smtps)
	allowInsecureAuth bool // offer AUTH without TLS
}

// startServer runs a go-smtp server on 127.0.0.1 until the test ends and
// returns its backend and host:port.
func startServer(t *testing.T, be *backend, cert tls.Certificate, o serverOpts) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = o.allowInsecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.startTLS {
		srv.TLSConfig = tlsConfig
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS {
		l = tls.NewListener(l, tlsConfig)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return l.Addr().String()
}

// newTestSender is NewSMTPSender trusting pool (nil: the system roots).
func newTestSender(t *testing.T, rawURL string, timeout time.Duration, pool *x509.CertPool) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(rawURL, testFrom, timeout)
	if err != nil {
		t.Fatalf("NewSMTPSender(%s): %v", safeSMTPSpec(rawURL), err)
	}
	if pool != nil {
		s.tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return s
}

// checkDelivered asserts that be holds exactly one message: testMessage,
// correctly encoded, from testFrom to testTo; and returns it.
func checkDelivered(t *testing.T, be *backend) received {
	t.Helper()
	msgs := be.received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "portal@example.org" {
		t.Errorf("MAIL FROM %q, want portal@example.org", got.From)
	}
	if len(got.To) != 1 || got.To[0] != testTo {
		t.Errorf("RCPT TO %q, want [%s]", got.To, testTo)
	}

	msg, err := netmail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, got.Data)
	}
	from, err := netmail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Address != "portal@example.org" || from.Name != "Portal" {
		t.Errorf("From: %q (%v), want %q", msg.Header.Get("From"), err, testFrom)
	}
	to, err := netmail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Address != testTo {
		t.Errorf("To: %q (%v), want %s", msg.Header.Get("To"), err, testTo)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != testMessage.Subject {
		t.Errorf("Subject: %q decodes to %q (%v), want %q", msg.Header.Get("Subject"), subject, err, testMessage.Subject)
	}
	if msg.Header.Get("Message-Id") == "" || msg.Header.Get("Date") == "" {
		t.Errorf("missing Message-ID or Date in %v", msg.Header)
	}

	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	bodies := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart() // raw: decode the transfer encoding here
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		ct, ctParams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type %q: %v", part.Header.Get("Content-Type"), err)
		}
		if cs := strings.ToLower(ctParams["charset"]); cs != "utf-8" {
			t.Errorf("part %s charset %q, want UTF-8", ct, cs)
		}
		var r io.Reader = part
		switch cte := strings.ToLower(part.Header.Get("Content-Transfer-Encoding")); cte {
		case "quoted-printable":
			r = quotedprintable.NewReader(part)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, part)
		case "", "7bit", "8bit":
		default:
			t.Fatalf("part %s: unexpected Content-Transfer-Encoding %q", ct, cte)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("part %s: %v", ct, err)
		}
		bodies[ct] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	if len(bodies) != 2 {
		t.Errorf("parts %v, want text/plain and text/html", bodies)
	}
	if bodies["text/plain"] != testMessage.Text {
		t.Errorf("text/plain part %q, want %q", bodies["text/plain"], testMessage.Text)
	}
	if bodies["text/html"] != testMessage.HTML {
		t.Errorf("text/html part %q, want %q", bodies["text/html"], testMessage.HTML)
	}
	return got
}

// checkNoSecret fails when err's message carries the password in any form.
func checkNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
}

// (a) smtp:// without credentials, the server offers neither STARTTLS nor
// AUTH: the message is delivered in the clear, complete and well formed.
func TestSMTPPlainDelivers(t *testing.T) {
	cert, _ := selfSignedCert(t)
	be := &backend{}
	addr := startServer(t, be, cert, serverOpts{})
	s := newTestSender(t, "smtp://"+addr, 0, nil)
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := checkDelivered(t, be)
	if got.TLS || got.AuthUser != "" {
		t.Errorf("TLS=%v auth=%q, want a plain unauthenticated session", got.TLS, got.AuthUser)
	}
}

// (b) AUTH PLAIN with percent-encoded credentials (after STARTTLS: the
// server, like any sane one, offers AUTH only over TLS).
func TestSMTPAuth(t *testing.T) {
	cert, pool := selfSignedCert(t)

	t.Run("right credentials", func(t *testing.T) {
		be := &backend{requireAuth: true}
		addr := startServer(t, be, cert, serverOpts{startTLS: true})
		s := newTestSender(t, "smtp://"+testUser+":"+testPasswordURL+"@"+addr, 0, pool)
		if err := s.Send(context.Background(), testMessage); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := checkDelivered(t, be)
		if got.AuthUser != testUser || !got.TLS {
			t.Errorf("auth=%q TLS=%v, want %q over TLS", got.AuthUser, got.TLS, testUser)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		be := &backend{requireAuth: true}
		addr := startServer(t, be, cert, serverOpts{startTLS: true})
		s := newTestSender(t, "smtp://"+testUser+":wr0ng%20p%40ss@"+addr, 0, pool)
		err := s.Send(context.Background(), testMessage)
		if err == nil {
			t.Fatal("Send with a wrong password succeeded")
		}
		t.Logf("error: %v", err)
		checkNoSecret(t, err, "wr0ng", "p@ss", "p%40ss", "s3cret")
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("error does not name the server %s: %v", addr, err)
		}
		if n := len(be.received()); n != 0 {
			t.Errorf("server received %d messages", n)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		be := &backend{requireAuth: true}
		addr := startServer(t, be, cert, serverOpts{startTLS: true})
		s := newTestSender(t, "smtp://"+addr, 0, pool)
		if err := s.Send(context.Background(), testMessage); err == nil {
			t.Fatal("Send without credentials to a server requiring AUTH succeeded")
		}
	})
}

// A server that offers AUTH PLAIN without TLS does not get the password:
// go-mail's auto-discovery does not use PLAIN/LOGIN in the clear.
func TestSMTPAuthNotSentInClear(t *testing.T) {
	cert, _ := selfSignedCert(t)
	be := &backend{requireAuth: true}
	addr := startServer(t, be, cert, serverOpts{allowInsecureAuth: true})
	s := newTestSender(t, "smtp://"+testUser+":"+testPasswordURL+"@"+addr, 0, nil)
	err := s.Send(context.Background(), testMessage)
	if err == nil {
		t.Fatal("Send authenticated over an unencrypted connection")
	}
	t.Logf("error: %v", err)
	checkNoSecret(t, err, testPassword, testPasswordURL, "s3cret")
	if n := len(be.received()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

// (c) smtp:// to a server that offers STARTTLS: the message goes over TLS;
// a certificate that does not verify is an error, not a fallback.
func TestSMTPStartTLS(t *testing.T) {
	cert, pool := selfSignedCert(t)

	t.Run("trusted", func(t *testing.T) {
		be := &backend{}
		addr := startServer(t, be, cert, serverOpts{startTLS: true})
		s := newTestSender(t, "smtp://"+addr, 0, pool)
		if err := s.Send(context.Background(), testMessage); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if got := checkDelivered(t, be); !got.TLS {
			t.Error("message was not delivered over TLS")
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		be := &backend{}
		addr := startServer(t, be, cert, serverOpts{startTLS: true})
		s := newTestSender(t, "smtp://"+addr, 0, nil) // system roots only
		err := s.Send(context.Background(), testMessage)
		if err == nil {
			t.Fatal("Send accepted a self-signed certificate")
		}
		t.Logf("error: %v", err)
		if n := len(be.received()); n != 0 {
			t.Errorf("server received %d messages", n)
		}
	})
}

// (d) smtps://: TLS from the first byte, with AUTH (auto-discovery picks
// PLAIN because the connection is encrypted).
func TestSMTPImplicitTLS(t *testing.T) {
	cert, pool := selfSignedCert(t)
	be := &backend{requireAuth: true}
	addr := startServer(t, be, cert, serverOpts{implicitTLS: true})
	s := newTestSender(t, "smtps://"+testUser+":"+testPasswordURL+"@"+addr, 0, pool)
	if err := s.Send(context.Background(), testMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := checkDelivered(t, be)
	if !got.TLS || got.AuthUser != testUser {
		t.Errorf("TLS=%v auth=%q, want TLS and %q", got.TLS, got.AuthUser, testUser)
	}
}

// (e) The server refuses the message after DATA.
func TestSMTPRejected(t *testing.T) {
	cert, _ := selfSignedCert(t)
	be := &backend{rejectData: &smtp.SMTPError{
		Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused for testing",
	}}
	addr := startServer(t, be, cert, serverOpts{})
	s := newTestSender(t, "smtp://"+addr, 0, nil)
	err := s.Send(context.Background(), testMessage)
	if err == nil {
		t.Fatal("Send succeeded although the server refused the message")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "554") {
		t.Errorf("error does not carry the server's 554: %v", err)
	}
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) {
		t.Fatalf("error %T does not unwrap to *gomail.SendError", err)
	}
	if sendErr.IsTemp() {
		t.Errorf("554 reported as temporary")
	}
}

// silentServer accepts TCP connections and never says a word, until the
// test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-done // hold the connection open, silently
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// stallingServer speaks SMTP until the end of DATA, then never answers:
// the timeout must bound the transfer too, not only the connection.
func stallingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				go func() { <-done; c.Close() }() // unblock the reads at the end
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 localhost ESMTP\r\n")
				inData := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
					switch {
					case inData && line == ".":
						<-done // never answer the end of DATA
						return
					case inData:
					case cmd == "EHLO" || cmd == "HELO":
						fmt.Fprint(c, "250 localhost\r\n")
					case cmd == "DATA":
						inData = true
						fmt.Fprint(c, "354 go ahead\r\n")
					case cmd == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default: // MAIL, RCPT, NOOP, RSET
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// (f) A server that accepts the connection and never answers: Send gives
// up after the timeout.
func TestSMTPTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		addr func(*testing.T) string
	}{
		{"silent server", silentServer},
		{"stalls after DATA", stallingServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSender(t, "smtp://"+tc.addr(t), timeout, nil)
			start := time.Now()
			err := s.Send(context.Background(), testMessage)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Send succeeded against a server that never answers")
			}
			t.Logf("after %v: %v", elapsed, err)
			if elapsed >= 5*time.Second {
				t.Fatalf("Send took %v with a timeout of %v", elapsed, timeout)
			}
		})
	}
}

// (g) Bad URLs are refused without connecting, by NewSMTPSender and by
// ValidateSpec, and the errors never show the password.
func TestNewSMTPSenderRefuses(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"no host", "smtp://", "missing host"},
		{"no host with user", "smtp://u:hunter2@", "missing host"},
		{"no host with port", "smtps://u:hunter2@:465", "missing host"},
		{"port zero", "smtp://u:hunter2@mail.example.org:0", "bad port"},
		{"port too big", "smtp://u:hunter2@mail.example.org:65536", "bad port"},
		{"port not a number", "smtp://u:hunter2@mail.example.org:smtp", "port"},
		{"empty port", "smtp://u:hunter2@mail.example.org:", "empty port"},
		{"unknown scheme", "smtpx://u:hunter2@mail.example.org", "unsupported scheme"},
		{"http", "http://mail.example.org", "unsupported scheme"},
		{"no scheme", "mail.example.org:25", "unsupported scheme"},
		{"opaque", "smtp:u:hunter2@mail.example.org", "missing //"},
		{"insecure_skip_verify", "smtps://u:hunter2@mail.example.org?insecure_skip_verify=true", "insecure_skip_verify is not supported"},
		{"unknown parameter", "smtp://u:hunter2@mail.example.org:25?starttls=hunter2", "unknown query parameter"},
		{"path", "smtp://u:hunter2@mail.example.org/hunter2", "unexpected path"},
		{"fragment", "smtp://u:hunter2@mail.example.org#hunter2", "fragment"},
		{"user without password", "smtp://portal@mail.example.org", "without password"},
		{"user with empty password", "smtp://portal:@mail.example.org", "without password"},
		{"password without user", "smtp://:hunter2@mail.example.org", "password without user"},
		{"bad escape", "smtp://u:hunter2%zz@mail.example.org", "escape"},
		{"bad userinfo", "smtp://u:hunter2 x@mail.example.org", "userinfo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSMTPSender(tc.url, testFrom, 0)
			if err == nil {
				t.Fatalf("NewSMTPSender accepted it: %+v", s.cfg)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			checkNoSecret(t, err, "hunter2")
			if strings.HasPrefix(tc.url, "smtp://") || strings.HasPrefix(tc.url, "smtps://") {
				verr := ValidateSpec(tc.url)
				if verr == nil {
					t.Fatal("ValidateSpec accepted it")
				}
				checkNoSecret(t, verr, "hunter2")
			}
		})
	}

	if _, err := NewSMTPSender("smtp://mail.example.org", "not an address", 0); err == nil {
		t.Error("NewSMTPSender accepted a bad from address")
	}
	if _, err := NewSMTPSender("smtp://mail.example.org", testFrom, -time.Second); err == nil {
		t.Error("NewSMTPSender accepted a negative timeout")
	}
}

// Good URLs parse into the expected settings; ValidateSpec and New accept
// them.
func TestNewSMTPSenderParses(t *testing.T) {
	tests := []struct {
		url         string
		implicitTLS bool
		host        string
		dialHost    string
		port        int
		user, pass  string
	}{
		{"smtp://mail.example.org", false, "mail.example.org", "mail.example.org", 587, "", ""},
		{"smtp://mail.example.org/", false, "mail.example.org", "mail.example.org", 587, "", ""},
		{"smtps://mail.example.org", true, "mail.example.org", "mail.example.org", 465, "", ""},
		{"SMTPS://mail.example.org:2465", true, "mail.example.org", "mail.example.org", 2465, "", ""},
		{"smtp://portal:" + testPasswordURL + "@mail.example.org:2525", false, "mail.example.org", "mail.example.org", 2525, "portal", testPassword},
		{"smtps://user%40example.org:p%3Aw%2Fd@127.0.0.1", true, "127.0.0.1", "127.0.0.1", 465, "user@example.org", "p:w/d"},
		{"smtp://[::1]:25", false, "::1", "[::1]", 25, "", ""},
		{"smtp://@mail.example.org", false, "mail.example.org", "mail.example.org", 587, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			s, err := NewSMTPSender(tc.url, testFrom, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := s.cfg
			if c.implicitTLS != tc.implicitTLS || c.host != tc.host || c.dialHost() != tc.dialHost ||
				c.port != tc.port || c.user != tc.user || c.pass != tc.pass {
				t.Errorf("got %+v (dial %s)", c, c.dialHost())
			}
			if s.timeout != DefaultSMTPTimeout {
				t.Errorf("timeout %v, want %v", s.timeout, DefaultSMTPTimeout)
			}
			if strings.Contains(c.safe, "s3cret") || strings.Contains(c.safe, "p%3A") {
				t.Errorf("safe form %s shows the password", c.safe)
			}
		})
	}

	spec := "smtps://" + testUser + ":" + testPasswordURL + "@mail.example.org"
	if err := ValidateSpec(spec); err != nil {
		t.Fatalf("ValidateSpec: %v", err)
	}
	sender, err := New(spec, testFrom, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ss, ok := sender.(*SMTPSender)
	if !ok {
		t.Fatalf("New returned %T, want *SMTPSender", sender)
	}
	if ss.timeout != 10*time.Second || !ss.cfg.implicitTLS || ss.cfg.pass != testPassword {
		t.Errorf("New made %+v", ss)
	}
}

// Encode (now built on buildMsg) still renders the same message as Send
// delivers.
func TestEncodeStillMultipart(t *testing.T) {
	raw, err := Encode(testFrom, testMessage)
	if err != nil {
		t.Fatal(err)
	}
	be := &backend{messages: []received{{From: "portal@example.org", To: []string{testTo}, Data: raw}}}
	checkDelivered(t, be)
}
