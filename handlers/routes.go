package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the whole URL space of Portal on one screen.
func (h *Handler) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect() // never believe X-Forwarded-For by default
	e.HTTPErrorHandler = h.handleError

	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: h.logPanic, DisableStackAll: true,
	}))
	e.Use(h.accessLog)
	e.Use(h.securityHeaders)
	e.Use(middleware.BodyLimit("64K")) // REL-08: forms are small
	e.Use(h.loadSession)               // skips /static and /healthz
	e.Use(h.loadUser)
	e.Use(h.checkCSRF) // every POST: same origin and a valid _csrf (BRW-06)

	// Infrastructure
	e.GET("/healthz", h.handleHealth)
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

	// Signed-in pages
	e.GET("/account/reauthenticate", h.handleReauthShow, h.requireUser)
	e.POST("/account/reauthenticate", h.handleReauthPost, h.requireUser)

	// Manage pages: everything under /account/manage needs a user; the
	// sensitive ones also a recent authentication (SES-05)
	manage := e.Group("/account/manage", h.requireUser)
	manage.GET("", h.handleManageProfile)
	manage.POST("", h.handleManageProfilePost)
	manage.GET("/email", h.handleManageEmailShow, h.requireRecentAuth)
	manage.POST("/email", h.handleManageEmailPost, h.requireRecentAuth)
	manage.GET("/change-password", h.handleChangePasswordShow, h.requireRecentAuth)
	manage.POST("/change-password", h.handleChangePasswordPost, h.requireRecentAuth)
	manage.GET("/set-password", h.handleSetPasswordShow, h.requireRecentAuth)
	manage.POST("/set-password", h.handleSetPasswordPost, h.requireRecentAuth)
	manage.GET("/sessions", h.handleSessionsShow)
	manage.POST("/sessions/end", h.handleSessionEnd)
	manage.POST("/sessions/end-others", h.handleSessionEndOthers)
	manage.GET("/security", h.handleSecurityShow)
	manage.POST("/security/not-me", h.handleNotMe)
	manage.GET("/personal-data", h.handlePersonalDataShow)
	manage.POST("/download-personal-data", h.handleDownloadPersonalData, h.requireRecentAuthBack(personalDataPath))
	manage.GET("/delete-personal-data", h.handleDeletePersonalDataShow, h.requireRecentAuth)
	manage.POST("/delete-personal-data", h.handleDeletePersonalDataPost, h.requireRecentAuth)

	return e
}
