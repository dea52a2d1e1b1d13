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

	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: h.logPanic, DisableStackAll: true,
	}))
	e.Use(h.accessLog)
	e.Use(h.securityHeaders)
	e.Use(middleware.BodyLimit("64K")) // REL-08: forms are small
	e.Use(h.checkInput)                // REL-09/11: bad URLs and form values never reach a handler
	e.Use(h.loadSession)               // skips /static and /healthz
	e.Use(h.loadUser)
	e.Use(h.checkCSRF) // every POST: same origin and a valid _csrf (BRW-06)

	// Infrastructure
	e.GET("/healthz", h.handleHealth)
	e.GET("/readyz", h.handleReady)
	e.GET("/static/*", h.handleStatic)
	e.HEAD("/static/*", h.handleStatic)

	// Public pages
	e.GET("/", h.handleHome)
	e.GET("/account/lockout", h.handleLockout)
	e.GET("/account/access-denied", h.handleAccessDenied)
	e.GET("/account/logout", h.handleLogoutShow)
	e.POST("/account/logout", h.handleLogoutPost)
	e.GET("/account/register-confirmation", h.handleRegisterConfirmation)
	e.GET("/account/confirm-email", h.handleConfirmEmailShow)
	e.POST("/account/confirm-email", h.handleConfirmEmailPost)
	e.GET("/account/resend-email-confirmation", h.handleResendShow)
	e.POST("/account/resend-email-confirmation", h.handleResendPost)
	e.GET("/account/forgot-password", h.handleForgotShow)
	e.POST("/account/forgot-password", h.handleForgotPost)
	e.GET("/account/forgot-password-confirmation", h.handleForgotConfirmation)
	e.GET("/account/reset-password", h.handleResetShow)
	e.POST("/account/reset-password", h.handleResetPost)
	e.GET("/account/reset-password-confirmation", h.handleResetConfirmation)
	e.GET("/account/deleted", h.handleGoodbye)
	e.GET("/account/confirm-email-change", h.handleConfirmEmailChangeShow)
	e.POST("/account/confirm-email-change", h.handleConfirmEmailChangePost)

	// Guest pages: a signed-in visitor is sent on to returnUrl
	e.GET("/account/register", h.handleRegisterShow, h.guestOnly)
	e.POST("/account/register", h.handleRegisterPost, h.guestOnly)
	e.GET("/account/login", h.handleLoginShow, h.guestOnly)
	e.POST("/account/login", h.handleLoginPost, h.guestOnly)
	e.POST("/account/external-login", h.handleExternalLogin)
	e.GET(callbackPath, h.handleExternalCallback)
	e.GET("/account/external-login/confirm", h.handleExternalConfirmShow, h.guestOnly)
	e.POST("/account/external-login/confirm", h.handleExternalConfirmPost, h.guestOnly)
	e.GET("/account/login-2fa", h.handleLogin2FAShow, h.guestOnly)
	e.POST("/account/login-2fa", h.handleLogin2FAPost, h.guestOnly)
	e.GET("/account/login-recovery-code", h.handleLoginRecoveryShow, h.guestOnly)
	e.POST("/account/login-recovery-code", h.handleLoginRecoveryPost, h.guestOnly)

	// Signed-in pages
	e.GET("/account/reauthenticate", h.handleReauthShow, h.requireUser)
	e.POST("/account/reauthenticate", h.handleReauthPost, h.requireUser)
	e.POST("/account/reauthenticate/external", h.handleReauthExternal, h.requireUser)

	// Manage pages need a user; the sensitive ones also a recent
	// authentication (SES-05). Per-route middleware, not a group: a group's
	// catch-all would answer 404 where echo answers 405 (a GET of a
	// POST-only route).
	manage := func(method, path string, hf echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
		e.Add(method, "/account/manage"+path, hf, append([]echo.MiddlewareFunc{h.requireUser}, mw...)...)
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
	manage(get, "/external-logins", h.handleExternalLoginsShow)
	manage(post, "/external-logins", h.handleExternalLoginsPost, h.requireRecentAuthBack(externalLoginsPath))
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
	manage(post, "/sessions/end-others", h.handleSessionEndOthers)
	manage(get, "/security", h.handleSecurityShow)
	manage(post, "/security/not-me", h.handleNotMe)
	manage(get, "/personal-data", h.handlePersonalDataShow)
	manage(post, "/download-personal-data", h.handleDownloadPersonalData, h.requireRecentAuthBack(personalDataPath))
	manage(get, "/delete-personal-data", h.handleDeletePersonalDataShow, h.requireRecentAuth)
	manage(post, "/delete-personal-data", h.handleDeletePersonalDataPost, h.requireRecentAuth)

	return e
}
