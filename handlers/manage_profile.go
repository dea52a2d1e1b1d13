package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/pages"
)

func (h *Handler) handleManageProfile(c echo.Context) error {
	u := currentUser(c)
	v := pages.ManageProfileView{
		Common:         h.common(c, "Profile"),
		UserName:       u.UserName,
		Email:          u.Email,
		EmailConfirmed: u.EmailConfirmed,
		PhoneNumber:    u.PhoneNumber,
		CreatedAt:      u.CreatedAt,
	}
	return h.render(c, http.StatusOK, pages.ManageProfile(v))
}
