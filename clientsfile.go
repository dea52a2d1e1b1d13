package portal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/accountportal/portal/identity"
)

// The clients file (--clients-file): OpenID Connect clients declared in
// a TOML file that lives in git beside the rest of the configuration.
//
//	[[client]]
//	id = "wiki"
//	name = "Acme Wiki"
//	redirect_uris = ["https://wiki.example.com/callback"]
//	post_logout_redirect_uris = ["https://wiki.example.com/"]
//	skip_consent = true
//	secret_env = "WIKI_CLIENT_SECRET"   # the secret is in this variable
//	# or: secret_sha256 = "<hex SHA-256 of the secret>"
//
//	[[client]]
//	id = "spa"
//	name = "Acme App"
//	public = true                       # no secret; PKCE required
//	redirect_uris = ["https://app.example.com/callback"]
//
// A secret never stands in the file in plain text: a confidential client
// names the environment variable that holds it (secret_env) or gives its
// SHA-256 in hex (secret_sha256) — the form Portal keeps it in. A secret
// from the environment must be at least clientSecretMin characters (e.g.
// openssl rand -base64 32). The file is read and checked in full before
// anything is written; a bad file stops the start with a message that
// names the client and the key.

const clientSecretMin = 32

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type clientsFile struct {
	Client []struct {
		ID                     string   `toml:"id"`
		Name                   string   `toml:"name"`
		RedirectURIs           []string `toml:"redirect_uris"`
		PostLogoutRedirectURIs []string `toml:"post_logout_redirect_uris"`
		Public                 bool     `toml:"public"`
		SkipConsent            bool     `toml:"skip_consent"`
		SecretEnv              string   `toml:"secret_env"`
		SecretSHA256           string   `toml:"secret_sha256"`
	} `toml:"client"`
}

// readClientsFile reads and checks --clients-file (nil without one).
func (c *Config) readClientsFile() ([]identity.OIDCClientSpec, error) {
	if c.ClientsFile == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(c.ClientsFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err // the *PathError names the file
		}
		return nil, fmt.Errorf("%s: %w", c.ClientsFile, err)
	}
	specs, err := parseClientsFile(raw, c.getenv())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ClientsFile, err)
	}
	return specs, nil
}

func (c *Config) getenv() func(string) string {
	if c.Getenv != nil {
		return c.Getenv
	}
	return os.Getenv
}

// parseClientsFile turns the file into client specs, checked as portal
// clients add checks its flags.
func parseClientsFile(raw []byte, getenv func(string) string) ([]identity.OIDCClientSpec, error) {
	var file clientsFile
	md, err := toml.NewDecoder(bytes.NewReader(raw)).Decode(&file)
	if err != nil {
		return nil, err
	}
	for _, k := range md.Undecoded() {
		if last := k[len(k)-1]; last == "secret" || last == "client_secret" {
			return nil, fmt.Errorf("%q: a secret never stands in the file in plain text; name the environment variable that holds it (secret_env) or give its SHA-256 in hex (secret_sha256)", k.String())
		}
		return nil, fmt.Errorf("unknown key %q (want [[client]] with id, name, redirect_uris, post_logout_redirect_uris, public, skip_consent, secret_env, secret_sha256)", k.String())
	}
	if len(file.Client) == 0 {
		return nil, errors.New("no [[client]]")
	}
	specs := make([]identity.OIDCClientSpec, 0, len(file.Client))
	seen := map[string]bool{}
	for i, f := range file.Client {
		where := fmt.Sprintf("client %d", i+1)
		if f.ID != "" {
			where = fmt.Sprintf("client %q", f.ID)
		}
		spec := identity.OIDCClientSpec{ID: f.ID, Name: f.Name, RedirectURIs: f.RedirectURIs, PostLogoutRedirectURIs: f.PostLogoutRedirectURIs,
			Public: f.Public, SkipConsent: f.SkipConsent}
		switch {
		case f.Public && (f.SecretEnv != "" || f.SecretSHA256 != ""):
			return nil, fmt.Errorf("%s: a public client has no secret (drop secret_env and secret_sha256, or public = true)", where)
		case f.SecretEnv != "" && f.SecretSHA256 != "":
			return nil, fmt.Errorf("%s: give secret_env or secret_sha256, not both", where)
		case f.SecretEnv != "":
			if !envName.MatchString(f.SecretEnv) {
				return nil, fmt.Errorf("%s: secret_env %q is not an environment variable's name", where, f.SecretEnv)
			}
			secret := getenv(f.SecretEnv)
			if secret == "" {
				return nil, fmt.Errorf("%s: the environment variable %s (secret_env) is not set", where, f.SecretEnv)
			}
			if len(secret) < clientSecretMin {
				return nil, fmt.Errorf("%s: the secret in %s is shorter than %d characters; make a random one (openssl rand -base64 32)", where, f.SecretEnv, clientSecretMin)
			}
			spec.SecretSHA256 = identity.HashClientSecret(secret)
		case f.SecretSHA256 != "":
			h, err := hex.DecodeString(strings.TrimSpace(f.SecretSHA256))
			if err != nil || len(h) != 32 {
				return nil, fmt.Errorf("%s: secret_sha256 is not a SHA-256 in hex (64 digits; printf %%s \"$SECRET\" | sha256sum)", where)
			}
			spec.SecretSHA256 = h
		}
		if err := identity.CheckOIDCClientFile(&spec); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if seen[spec.ID] {
			return nil, fmt.Errorf("%s is listed twice", where)
		}
		seen[spec.ID] = true
		specs = append(specs, spec)
	}
	return specs, nil
}
