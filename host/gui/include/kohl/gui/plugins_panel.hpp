// The plugin list: every plugin file the host looked at, loaded or rejected, with the
// one-line reason for each rejection, so a developer sees at a glance why their plugin
// did not show up.
#pragma once

#include <string>
#include <vector>

#include <wx/panel.h>

class wxListCtrl;
class wxStaticText;

namespace kohl::core {
struct PluginRecord;
}

namespace kohl::gui {

class PluginsPanel : public wxPanel {
 public:
  // Column order of the list (tests read cells by these indices).
  enum Column { kColId, kColKind, kColVersion, kColStatus, kColFile, kColReason, kColumnCount };

  explicit PluginsPanel(wxWindow* parent);

  // Replaces the rows. `search_dirs` are the folders that were searched (shown in the
  // summary line so a missing plugin can be traced to a missing folder).
  void show_records(const std::vector<core::PluginRecord>& records, const std::vector<std::string>& search_dirs);

  wxListCtrl* list() const { return list_; }
  // "2 loaded, 1 rejected"
  wxString summary_text() const;
  // The line under the list: the selected row's full reason and path, which do not fit
  // in the columns (its tooltip adds the plugin's build fingerprint).
  wxString detail_text() const;

 private:
  void show_detail(long row);
  // Widens the last column to the list's right edge, so rows do not end mid-window.
  void fill_last_column();

  // What the detail line shows per row, kept because the list only holds cut-down text.
  struct RowDetail {
    wxString file, reason, abi;
  };
  std::vector<RowDetail> details_;
  int reason_width_ = 0;  // what the reason column needs for its text
  wxStaticText* summary_ = nullptr;
  wxStaticText* detail_ = nullptr;
  wxStaticText* dirs_ = nullptr;
  wxListCtrl* list_ = nullptr;
};

}  // namespace kohl::gui
