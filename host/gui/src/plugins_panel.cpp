#include "kohl/gui/plugins_panel.hpp"

#include <algorithm>

#include <wx/filename.h>
#include <wx/listctrl.h>
#include <wx/settings.h>
#include <wx/sizer.h>
#include <wx/stattext.h>

#include "kohl/core/plugin_host.hpp"

namespace kohl::gui {

namespace {
// Rejected rows must stand out in a list of mostly loaded ones: dark red on pale red.
const wxColour kRejectedText(0xA0, 0x10, 0x20);
const wxColour kRejectedBack(0xFD, 0xE8, 0xE8);
const wchar_t* const kNone = L"\u2014";

wxString or_dash(const std::string& s) { return s.empty() ? wxString(kNone) : wxString::FromUTF8(s); }
}  // namespace

PluginsPanel::PluginsPanel(wxWindow* parent) : wxPanel(parent, wxID_ANY) {
  auto* title = new wxStaticText(this, wxID_ANY, "Plugins");
  title->SetFont(title->GetFont().Bold());
  summary_ = new wxStaticText(this, wxID_ANY, wxEmptyString);
  dirs_ = new wxStaticText(this, wxID_ANY, wxEmptyString, wxDefaultPosition, wxDefaultSize,
                           wxST_ELLIPSIZE_MIDDLE | wxST_NO_AUTORESIZE);
  dirs_->SetForegroundColour(wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));

  list_ = new wxListCtrl(this, wxID_ANY, wxDefaultPosition, wxDefaultSize,
                         wxLC_REPORT | wxLC_SINGLE_SEL | wxLC_HRULES | wxLC_VRULES);
  // Initial widths fit typical content; show_records() widens ID, file and reason to fit.
  list_->AppendColumn("ID", wxLIST_FORMAT_LEFT, FromDIP(250));
  list_->AppendColumn("Kind", wxLIST_FORMAT_LEFT, FromDIP(90));
  list_->AppendColumn("Version", wxLIST_FORMAT_LEFT, FromDIP(70));
  list_->AppendColumn("Status", wxLIST_FORMAT_LEFT, FromDIP(80));
  list_->AppendColumn("File", wxLIST_FORMAT_LEFT, FromDIP(160));
  list_->AppendColumn("Reason", wxLIST_FORMAT_LEFT, FromDIP(400));

  list_->Bind(wxEVT_LIST_ITEM_SELECTED, [this](wxListEvent& e) { show_detail(e.GetIndex()); });
  list_->Bind(wxEVT_LIST_ITEM_DESELECTED, [this](wxListEvent&) { show_detail(-1); });
  list_->Bind(wxEVT_SIZE, [this](wxSizeEvent& e) {
    e.Skip();
    CallAfter([this] { fill_last_column(); });  // after the list has taken its new size
  });

  detail_ = new wxStaticText(this, wxID_ANY, wxEmptyString, wxDefaultPosition, wxDefaultSize,
                             wxST_ELLIPSIZE_END | wxST_NO_AUTORESIZE);

  auto* header = new wxBoxSizer(wxHORIZONTAL);
  header->Add(title, wxSizerFlags().CenterVertical());
  header->AddSpacer(FromDIP(12));
  header->Add(summary_, wxSizerFlags().CenterVertical());
  header->AddSpacer(FromDIP(12));
  header->Add(dirs_, wxSizerFlags(1).CenterVertical());

  auto* sizer = new wxBoxSizer(wxVERTICAL);
  sizer->Add(header, wxSizerFlags().Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(8)));
  sizer->Add(list_, wxSizerFlags(1).Expand().Border(wxLEFT | wxRIGHT | wxTOP, FromDIP(8)));
  sizer->Add(detail_, wxSizerFlags().Expand().Border(wxALL, FromDIP(8)));
  SetSizer(sizer);
  show_detail(-1);
}

void PluginsPanel::show_detail(long row) {
  if (row < 0 || row >= static_cast<long>(details_.size())) {
    detail_->SetForegroundColour(wxSystemSettings::GetColour(wxSYS_COLOUR_GRAYTEXT));
    detail_->SetLabelText("Select a plugin to see its full reason and file.");
    detail_->UnsetToolTip();
    return;
  }
  const RowDetail& d = details_[static_cast<std::size_t>(row)];
  // The reason first: it is what the user is looking for, and the end is what gets cut.
  const wxString text = d.reason.empty() ? d.file : d.reason + L"  \u2014  " + d.file;
  detail_->SetForegroundColour(d.reason.empty() ? wxSystemSettings::GetColour(wxSYS_COLOUR_WINDOWTEXT)
                                                : kRejectedText);
  detail_->SetLabelText(text);
  // The line may be ellipsized; the tooltip has all of it.
  detail_->SetToolTip(d.file + "\n" + d.reason + (d.abi.empty() ? wxString() : "\n" + d.abi));
}

void PluginsPanel::fill_last_column() {
  if (reason_width_ <= 0) return;
  int others = 0;
  for (int col = 0; col < kColReason; ++col) others += list_->GetColumnWidth(col);
  const int room = list_->GetClientSize().x - others;
  list_->SetColumnWidth(kColReason, std::max(reason_width_, room));
}

wxString PluginsPanel::detail_text() const { return detail_->GetLabelText(); }

void PluginsPanel::show_records(const std::vector<core::PluginRecord>& records,
                                const std::vector<std::string>& search_dirs) {
  list_->DeleteAllItems();
  details_.clear();
  int loaded = 0;
  int rejected = 0;
  for (const auto& r : records) {
    const long row = list_->InsertItem(list_->GetItemCount(), or_dash(r.id));
    list_->SetItem(row, kColKind, r.kind ? wxString(sdk::to_string(*r.kind)) : wxString(kNone));
    list_->SetItem(row, kColVersion, or_dash(r.version));
    list_->SetItem(row, kColStatus, core::to_string(r.status));
    // The folder is in the summary line; the file name is what tells rows apart.
    list_->SetItem(row, kColFile, wxFileName(wxString::FromUTF8(r.file)).GetFullName());
    list_->SetItem(row, kColReason, wxString::FromUTF8(r.reason));
    details_.push_back({wxString::FromUTF8(r.file), wxString::FromUTF8(r.reason), wxString::FromUTF8(r.abi)});
    if (r.status == core::PluginStatus::kRejected) {
      list_->SetItemTextColour(row, kRejectedText);
      list_->SetItemBackgroundColour(row, kRejectedBack);
      ++rejected;
    } else {
      ++loaded;
    }
  }

  // Widen the text columns to their content, never below the header's width, so ids
  // and file names are not cut; the reason column takes what its longest line needs.
  for (int col : {kColId, kColFile, kColReason}) {
    if (records.empty()) break;
    list_->SetColumnWidth(col, wxLIST_AUTOSIZE);
    const int content = list_->GetColumnWidth(col);
    list_->SetColumnWidth(col, wxLIST_AUTOSIZE_USEHEADER);
    const int header = list_->GetColumnWidth(col);
    list_->SetColumnWidth(col, std::max(content, header) + FromDIP(12));
  }
  reason_width_ = list_->GetColumnWidth(kColReason);
  fill_last_column();

  wxString summary = wxString::Format("%d loaded, %d rejected", loaded, rejected);
  if (records.empty()) summary = "none found";
  show_detail(-1);
  summary_->SetLabelText(summary);
  summary_->SetForegroundColour(rejected > 0 ? kRejectedText : wxSystemSettings::GetColour(wxSYS_COLOUR_WINDOWTEXT));

  wxString dirs;
  for (const auto& d : search_dirs) dirs += (dirs.empty() ? "" : "  :  ") + wxString::FromUTF8(d);
  dirs_->SetLabelText(search_dirs.empty() ? wxString("no plugin folders to search") : "searched " + dirs);
  dirs_->SetToolTip(dirs);
  Layout();
}

wxString PluginsPanel::summary_text() const { return summary_->GetLabelText(); }

}  // namespace kohl::gui
