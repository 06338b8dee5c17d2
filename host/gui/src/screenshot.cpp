#include "kohl/gui/screenshot.hpp"

#include <wx/bitmap.h>
#include <wx/dcclient.h>
#include <wx/dcmemory.h>
#include <wx/image.h>
#include <wx/window.h>

namespace kohl::gui {

bool save_client_area_png(wxWindow* window, const wxString& png_path, wxString* error) {
  auto fail = [error](const wxString& why) {
    if (error) *error = why;
    return false;
  };
  if (!window || !window->IsShownOnScreen()) return fail("the window is not shown");
  const wxSize size = window->GetClientSize();
  if (size.x <= 0 || size.y <= 0) return fail("the window has no client area");

  // Make sure everything invalidated so far is painted before it is read back.
  window->Refresh();
  window->Update();

  // Reads the pixels back from the display (X11: XGetImage on the window), so child
  // windows are included as they were drawn. On GTK3 this works under X11/Xvfb.
  wxBitmap bitmap(size.x, size.y, 24);
  {
    wxClientDC source(window);
    wxMemoryDC target(bitmap);
    if (!target.Blit(0, 0, size.x, size.y, &source, 0, 0)) return fail("cannot read the window's pixels");
  }
  if (!wxImage::FindHandler(wxBITMAP_TYPE_PNG)) wxImage::AddHandler(new wxPNGHandler);
  if (!bitmap.ConvertToImage().SaveFile(png_path, wxBITMAP_TYPE_PNG)) return fail("cannot write " + png_path);
  return true;
}

}  // namespace kohl::gui
