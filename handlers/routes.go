package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the whole URL space of Portal on one screen.
func (h *Handler) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect() // never believe X-Forwarded-For by default
	if len(h.opts.TrustedProxies) > 0 {
		// The right-most X-Forwarded-For address that is not one of our
		// proxies (ASVS5 4.1.3); echo's own defaults (loopback, private
		// networks) are not trusted unless listed.
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range h.opts.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.HTTPErrorHandler = h.handleError

	// The middleware every request goes through, in order, composed once
	// here: echo would compose it again for every request (Echo.ServeHTTP
	// calls each constructor and allocates each closure), and the
	// applications' checks of every API call pay for that (issue 19). The
	// chain ends in the handler the router matched for the request
	// (c.Handler(): the route's handler with its route-level middleware,
	// or echo's 404 and 405), which is what echo would have passed to the
	// first of them; this is the only e.Use.
	chain := compose(func(c echo.Context) error { return c.Handler()(c) },
		h.accessLog, // the request id first, so that every line and the 500 page carry it
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: h.logPanic, DisableStackAll: true,
		}),
		h.securityHeaders,
		middleware.BodyLimit("64K"), // REL-08: forms are small
		h.checkInput,                // REL-09/11: bad URLs and form values never reach a handler
		h.language,                  // the reader's language (DESIGN.md "Languages")
		h.loadSession,               // skips /static and /healthz
		h.loadUser,
		h.checkCSRF, // every POST: same origin and a valid _csrf (BRW-06)
	)
	e.Use(func(echo.HandlerFunc) echo.HandlerFunc { return chain })

	// add registers a route whose handler Portal.OverrideHandler can
	// replace, by "METHOD /path". Every path here is a Portal path: the
	// route is registered under the base path (--base-url
	// https://example.com/auth serves /auth/account/login); a request
	// outside it matches no route and is a 404. The route's own middleware
	// is composed once, too.
	add := func(method, path string, hf echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		e.Add(method, h.base+path, compose(h.overridable(method+" "+path, hf), mw...))
	}
	if h.base != "" {
		// The base path itself is the home page's directory: on to it.
		e.GET(h.base, func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, h.home()) })
	}

	// Infrastructure
	add(http.MethodGet, "/healthz", h.handleHealth)
	add(http.MethodGet, "/readyz", h.handleReady)
	add(http.MethodGet, "/static/*", h.handleStatic)
	add(http.MethodHead, "/static/*", h.handleStatic)

	// Public pages
	add(http.MethodGet, "/", h.handleHome)
	add(http.MethodGet, "/account/lockout", h.handleLockout)
	add(http.MethodGet, "/account/access-denied", h.handleAccessDenied)
	add(http.MethodGet, "/account/logout", h.handleLogoutShow)
	add(http.MethodPost, "/account/logout", h.handleLogoutPost)
	add(http.MethodGet, "/account/register-confirmation", h.handleRegisterConfirmation)
	add(http.MethodGet, "/account/confirm-email", h.handleConfirmEmailShow)
	add(http.MethodPost, "/account/confirm-email", h.handleConfirmEmailPost)
	add(http.MethodGet, "/account/resend-email-confirmation", h.handleResendShow)
	add(http.MethodPost, "/account/resend-email-confirmation", h.handleResendPost)
	add(http.MethodGet, "/account/resend-email-confirmation-sent", h.handleResendSent)
	add(http.MethodGet, "/account/forgot-password", h.handleForgotShow)
	add(http.MethodPost, "/account/forgot-password", h.handleForgotPost)
	add(http.MethodGet, "/account/forgot-password-confirmation", h.handleForgotConfirmation)
	add(http.MethodGet, "/account/reset-password", h.handleResetShow)
	add(http.MethodPost, "/account/reset-password", h.handleResetPost)
	add(http.MethodGet, "/account/reset-password-confirmation", h.handleResetConfirmation)
	add(http.MethodGet, "/account/deleted", h.handleGoodbye)
	add(http.MethodPost, "/account/language", h.handleLanguagePost)
	add(http.MethodGet, "/account/confirm-email-change", h.handleConfirmEmailChangeShow)
	add(http.MethodPost, "/account/confirm-email-change", h.handleConfirmEmailChangePost)

	// Guest pages: a signed-in visitor is sent on to returnUrl
	add(http.MethodGet, "/account/register", h.handleRegisterShow, h.guestOnly)
	add(http.MethodPost, "/account/register", h.handleRegisterPost, h.guestOnly)
	add(http.MethodPost, "/account/register/passkey/begin", h.handlePasskeySignupBegin, h.guestOnly)
	add(http.MethodPost, "/account/register/passkey", h.handlePasskeySignupPost, h.guestOnly)
	add(http.MethodGet, "/account/login", h.handleLoginShow, h.guestOnly)
	add(http.MethodPost, "/account/login", h.handleLoginPost, h.guestOnly)
	add(http.MethodPost, "/account/external-login", h.handleExternalLogin)
	add(http.MethodGet, callbackPath, h.handleExternalCallback)
	add(http.MethodGet, "/account/external-login/confirm", h.handleExternalConfirmShow, h.guestOnly)
	add(http.MethodPost, "/account/external-login/confirm", h.handleExternalConfirmPost, h.guestOnly)
	add(http.MethodGet, "/account/login-2fa", h.handleLogin2FAShow, h.guestOnly)
	add(http.MethodPost, "/account/login-2fa", h.handleLogin2FAPost, h.guestOnly)
	add(http.MethodGet, "/account/login-recovery-code", h.handleLoginRecoveryShow, h.guestOnly)
	add(http.MethodPost, "/account/login-recovery-code", h.handleLoginRecoveryPost, h.guestOnly)
	add(http.MethodPost, "/account/login/passkey/begin", h.handlePasskeyLoginBegin, h.guestOnly)
	add(http.MethodPost, "/account/login/passkey", h.handlePasskeyLoginPost, h.guestOnly)
	add(http.MethodPost, "/account/login-2fa/passkey/begin", h.handlePasskey2FABegin, h.guestOnly)
	add(http.MethodPost, "/account/login-2fa/passkey", h.handlePasskey2FAPost, h.guestOnly)

	// For the applications around Portal (DESIGN.md "Apps around Portal")
	add(http.MethodGet, sessionPath, h.handleSession, h.cors)
	e.Add(http.MethodOptions, h.base+sessionPath, compose(echo.NotFoundHandler, h.cors))      // the preflight, answered by cors
	e.Any(h.base+forwardAuthPath, h.overridable("ANY "+forwardAuthPath, h.handleForwardAuth)) // every method; no CSRF (checkCSRF)
	h.oidcRoutes(add)                                                                         // OpenID Connect (oidc.go)

	// Signed-in pages
	add(http.MethodGet, "/account/reauthenticate", h.handleReauthShow, h.requireUser)
	add(http.MethodPost, "/account/reauthenticate", h.handleReauthPost, h.requireUser)
	add(http.MethodPost, "/account/reauthenticate/external", h.handleReauthExternal, h.requireUser)
	add(http.MethodPost, "/account/reauthenticate/passkey/begin", h.handlePasskeyReauthBegin, h.requireUser)
	add(http.MethodPost, "/account/reauthenticate/passkey", h.handlePasskeyReauthPost, h.requireUser)

	// Manage pages need a user; the sensitive ones also a recent
	// authentication (SES-05). Per-route middleware, not a group: a group's
	// catch-all would answer 404 where echo answers 405 (a GET of a
	// POST-only route).
	manage := func(method, path string, hf echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		add(method, "/account/manage"+path, hf, append([]echo.MiddlewareFunc{h.requireUser}, mw...)...)
	}
	const get, post = http.MethodGet, http.MethodPost
	manage(get, "", h.handleManageProfile)
	manage(post, "", h.handleManageProfilePost)
	manage(get, "/email", h.handleManageEmailShow, h.requireRecentAuth)
	manage(post, "/email", h.handleManageEmailPost, h.requireRecentAuth)
	manage(get, "/change-password", h.handleChangePasswordShow, h.requireRecentAuth)
	manage(post, "/change-password", h.handleChangePasswordPost, h.requireRecentAuth)
	manage(get, "/set-password", h.handleSetPasswordShow, h.requireRecentAuth)
	manage(post, "/set-password", h.handleSetPasswordPost, h.requireRecentAuth)
	manage(post, "/remove-password", h.handleRemovePasswordPost, h.requireRecentAuthBack("/account/manage/change-password"))
	manage(get, "/external-logins", h.handleExternalLoginsShow)
	manage(post, "/external-logins", h.handleExternalLoginsPost, h.requireRecentAuthBack(externalLoginsPath))
	manage(get, "/passkeys", h.handlePasskeysShow, h.requireRecentAuth)
	manage(post, "/passkeys/begin", h.handlePasskeyAddBegin, h.requireRecentAuthBack(passkeysPath))
	manage(post, "/passkeys/add", h.handlePasskeyAddPost, h.requireRecentAuthBack(passkeysPath))
	manage(post, "/passkeys/rename", h.handlePasskeyRenamePost)
	manage(post, "/passkeys/remove", h.handlePasskeyRemovePost, h.requireRecentAuthBack(passkeysPath))
	manage(get, "/two-factor", h.handleTwoFactorShow)
	manage(post, "/two-factor", h.handleForgetBrowser)
	manage(get, "/enable-authenticator", h.handleEnableAuthenticatorShow, h.requireRecentAuth)
	manage(post, "/enable-authenticator", h.handleEnableAuthenticatorPost, h.requireRecentAuth)
	manage(get, "/reset-authenticator", h.handleResetAuthenticatorShow, h.requireRecentAuthWithCode)
	manage(post, "/reset-authenticator", h.handleResetAuthenticatorPost, h.requireRecentAuthWithCode)
	manage(get, "/disable-2fa", h.handleDisable2FAShow, h.requireRecentAuthWithCode)
	manage(post, "/disable-2fa", h.handleDisable2FAPost, h.requireRecentAuthWithCode)
	manage(get, "/generate-recovery-codes", h.handleGenerateCodesShow, h.requireRecentAuthWithCode)
	manage(post, "/generate-recovery-codes", h.handleGenerateCodesPost, h.requireRecentAuthWithCode)
	manage(get, "/show-recovery-codes", h.handleShowCodes)
	manage(get, "/sessions", h.handleSessionsShow)
	manage(post, "/sessions/end", h.handleSessionEnd)
	manage(post, "/sessions/end-others", h.handleSessionEndOthers, h.requireRecentAuthBack(sessionsPath))
	manage(get, "/apps", h.handleAppsShow)
	manage(post, "/apps", h.handleAppsRemove)
	manage(get, "/security", h.handleSecurityShow)
	manage(get, "/security/not-me", h.handleNotMeShow, h.requireRecentAuth)
	manage(post, "/security/not-me", h.handleNotMe, h.requireRecentAuthBack(securityPath))
	manage(get, "/personal-data", h.handlePersonalDataShow)
	manage(post, "/download-personal-data", h.handleDownloadPersonalData, h.requireRecentAuthBack(personalDataPath))
	manage(get, "/delete-personal-data", h.handleDeletePersonalDataShow, h.requireRecentAuth)
	manage(post, "/delete-personal-data", h.handleDeletePersonalDataPost, h.requireRecentAuth)

	return e
}

// compose wraps h in mw, the first outermost (as echo's Use and route
// middleware do).
func compose(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
