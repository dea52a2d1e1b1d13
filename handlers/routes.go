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
	e.GET("/account/confirm-email-change", h.handleConfirmEmailChangeShow)
	e.POST("/account/confirm-email-change", h.handleConfirmEmailChangePost)

	// Guest pages: a signed-in visitor is sent on to returnUrl
	e.GET("/account/register", h.handleRegisterShow, h.guestOnly)
	e.POST("/account/register", h.handleRegisterPost, h.guestOnly)
	e.GET("/account/login", h.handleLoginShow, h.guestOnly)
	e.POST("/account/login", h.handleLoginPost, h.guestOnly)

	// Signed-in pages: everything under /account/manage
	manage := e.Group("/account/manage", h.requireUser)
	manage.GET("", h.handleManageProfile)
	manage.GET("/email", h.handleManageEmailShow)
	manage.POST("/email", h.handleManageEmailPost)

	return e
}
