// Saves what a window shows to a PNG: `kohl-studio --screenshot` (docs, bug reports) and
// the GUI tests use it. Needs a display that can be read back (X11, Xvfb).
#pragma once

#include <wx/string.h>

class wxWindow;

namespace kohl::gui {

// Captures the client area of `window` (shown and painted) to `png_path`. Returns false
// and sets `error` when the capture or the write fails. GUI thread only.
bool save_client_area_png(wxWindow* window, const wxString& png_path, wxString* error);

}  // namespace kohl::gui
