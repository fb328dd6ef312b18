package main

import (
	"flag"
	"strings"

	"github.com/socotra-go/sdk/socotra"
)

// conn holds the flags that say which tenant to talk to, on which platform.
type conn struct {
	platform, apiURL, tenant, token string
	username, password, hostname    string
	adminUsername, adminPassword    string
}

// connHelp documents conn's flags in the admin commands' help.
const connHelp = `Tenant (flags or environment):
  --platform P       core (default) or legacy
  --api-url U        the API base URL ($SOCOTRA_API_URL)
  Core:   --tenant T (tenant locator, $SOCOTRA_TENANT), --token K ($SOCOTRA_TOKEN)
  Legacy: --username ($SOCOTRA_USERNAME), --password ($SOCOTRA_PASSWORD), --hostname ($SOCOTRA_HOSTNAME),
          --admin-username and --admin-password for integrations ($SOCOTRA_ADMIN_USERNAME, $SOCOTRA_ADMIN_PASSWORD)
`

func (c *conn) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.platform, "platform", "core", "")
	fs.StringVar(&c.apiURL, "api-url", "", "")
	fs.StringVar(&c.tenant, "tenant", "", "")
	fs.StringVar(&c.token, "token", "", "")
	fs.StringVar(&c.username, "username", "", "")
	fs.StringVar(&c.password, "password", "", "")
	fs.StringVar(&c.hostname, "hostname", "", "")
	fs.StringVar(&c.adminUsername, "admin-username", "", "")
	fs.StringVar(&c.adminPassword, "admin-password", "", "")
}

func (c *conn) legacy() (bool, error) {
	switch strings.ToLower(c.platform) {
	case "core":
		return false, nil
	case "legacy":
		return true, nil
	}
	return false, usagef("--platform %q: use core or legacy", c.platform)
}

func (c *conn) baseURL(e *env) (string, error) {
	u := firstEnv(e, c.apiURL, "SOCOTRA_API_URL")
	if u == "" {
		return "", usagef("--api-url (or $SOCOTRA_API_URL) is required: the tenant's API base URL")
	}
	return u, nil
}

func (c *conn) core(e *env) (*socotra.CoreClient, error) {
	u, err := c.baseURL(e)
	if err != nil {
		return nil, err
	}
	tenant, token := firstEnv(e, c.tenant, "SOCOTRA_TENANT"), firstEnv(e, c.token, "SOCOTRA_TOKEN")
	if tenant == "" || token == "" {
		return nil, usagef("Core needs --tenant (or $SOCOTRA_TENANT) and --token (or $SOCOTRA_TOKEN)")
	}
	return socotra.NewCoreClient(u, tenant, token)
}

func (c *conn) legacyClient(e *env) (*socotra.LegacyClient, error) {
	u, err := c.baseURL(e)
	if err != nil {
		return nil, err
	}
	creds := socotra.LegacyCredentials{
		Username:      firstEnv(e, c.username, "SOCOTRA_USERNAME"),
		Password:      firstEnv(e, c.password, "SOCOTRA_PASSWORD"),
		HostName:      firstEnv(e, c.hostname, "SOCOTRA_HOSTNAME"),
		AdminUsername: firstEnv(e, c.adminUsername, "SOCOTRA_ADMIN_USERNAME"),
		AdminPassword: firstEnv(e, c.adminPassword, "SOCOTRA_ADMIN_PASSWORD"),
	}
	if creds.Username == "" || creds.Password == "" || creds.HostName == "" {
		return nil, usagef("Legacy needs --username, --password and --hostname (or $SOCOTRA_USERNAME, $SOCOTRA_PASSWORD, $SOCOTRA_HOSTNAME)")
	}
	return socotra.NewLegacyClient(u, creds)
}

// registrar returns the Registrar of the chosen platform's client.
func (c *conn) registrar(e *env) (socotra.Registrar, error) {
	leg, err := c.legacy()
	if err != nil {
		return nil, err
	}
	if leg {
		lc, err := c.legacyClient(e)
		if err != nil {
			return nil, err
		}
		return lc.Registrar(), nil
	}
	cc, err := c.core(e)
	if err != nil {
		return nil, err
	}
	return cc.Registrar(), nil
}
