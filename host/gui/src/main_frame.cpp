#include "kohl/gui/main_frame.hpp"

#include <wx/filedlg.h>
#include <wx/menu.h>
#include <wx/msgdlg.h>
#include <wx/panel.h>
#include <wx/sizer.h>
#include <wx/splitter.h>
#include <wx/statline.h>
#include <wx/statusbr.h>

#include "kohl/core/log.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/core/project.hpp"
#include "kohl/core/version.hpp"
#include "kohl/gui/log_panel.hpp"
#include "kohl/gui/plugins_panel.hpp"
#include "kohl/gui/project_panel.hpp"

namespace kohl::gui {

namespace {
const wchar_t* const kAppName = L"Kohl Studio";
enum StatusField { kStatusMessage, kStatusPlugins, kStatusFieldCount };
}  // namespace

MainFrame::MainFrame(const wxString& project_path)
    : wxFrame(nullptr, wxID_ANY, kAppName), plugins_(std::make_unique<core::PluginHost>()) {
  SetMinSize(FromDIP(wxSize(640, 420)));
  SetSize(FromDIP(wxSize(1100, 700)));

  // One panel under everything: on GTK a frame's own background is not the themed
  // window colour, and keyboard navigation needs a wxPanel parent.
  auto* root = new wxPanel(this, wxID_ANY);
  project_panel_ = new ProjectPanel(root);

  // Plugins above, log below; the log keeps its height when the window grows, since the
  // list is what gains rows.
  auto* splitter = new wxSplitterWindow(root, wxID_ANY, wxDefaultPosition, wxDefaultSize,
                                        wxSP_LIVE_UPDATE | wxSP_3DSASH);
  splitter->SetMinimumPaneSize(FromDIP(80));
  splitter->SetSashGravity(1.0);
  // The log pane exists before plugins load and the project opens, so their messages
  // reach it.
  log_panel_ = new LogPanel(splitter);
  plugins_panel_ = new PluginsPanel(splitter);
  splitter->SplitHorizontally(plugins_panel_, log_panel_, -FromDIP(200));

  auto* sizer = new wxBoxSizer(wxVERTICAL);
  sizer->Add(project_panel_, wxSizerFlags().Expand());
  sizer->Add(new wxStaticLine(root), wxSizerFlags().Expand());
  sizer->Add(splitter, wxSizerFlags(1).Expand());
  root->SetSizer(sizer);

  build_menu();
  CreateStatusBar(kStatusFieldCount);
  const int widths[kStatusFieldCount] = {-1, FromDIP(260)};
  GetStatusBar()->SetStatusWidths(kStatusFieldCount, widths);

  reload_plugins();
  if (project_path.empty()) {
    project_panel_->show_no_project();
    SetStatusText("No project open", kStatusMessage);
    update_title();
  } else {
    open_project(project_path);
  }
}

MainFrame::~MainFrame() = default;

void MainFrame::build_menu() {
  auto* file = new wxMenu;
  file->Append(wxID_OPEN, L"&Open\u2026\tCtrl+O", "Open a Kohl project (*.kohl)");
  file->AppendSeparator();
  file->Append(wxID_EXIT, "&Quit\tCtrl+Q", "Quit Kohl Studio");

  auto* plugins = new wxMenu;
  plugins->Append(wxID_REFRESH, "&Reload Plugins\tF5", "Scan the plugin folders again");

  auto* help = new wxMenu;
  help->Append(wxID_ABOUT, L"&About Kohl Studio\u2026");

  auto* bar = new wxMenuBar;
  bar->Append(file, "&File");
  bar->Append(plugins, "&Plugins");
  bar->Append(help, "&Help");
  SetMenuBar(bar);

  Bind(wxEVT_MENU, [this](wxCommandEvent&) {
    wxFileDialog dialog(this, "Open Kohl project", wxEmptyString, wxEmptyString,
                        "Kohl projects (*.kohl)|*.kohl|All files|*", wxFD_OPEN | wxFD_FILE_MUST_EXIST);
    if (dialog.ShowModal() == wxID_OK) open_project(dialog.GetPath());
  }, wxID_OPEN);
  Bind(wxEVT_MENU, [this](wxCommandEvent&) { Close(); }, wxID_EXIT);
  Bind(wxEVT_MENU, [this](wxCommandEvent&) { reload_plugins(); }, wxID_REFRESH);
  Bind(wxEVT_MENU, [this](wxCommandEvent&) {
    wxMessageBox(wxString::Format("Kohl Studio %s\nA workbench for beauty-AI teams.", core::kKohlVersion),
                 L"About Kohl Studio", wxOK | wxICON_INFORMATION, this);
  }, wxID_ABOUT);
}

bool MainFrame::open_project(const wxString& path) {
  // Close the current project first: a failed open must not leave the old one looking
  // open under a new file name.
  project_.reset();
  const std::string utf8_path = path.utf8_string();
  auto opened = core::Project::open(utf8_path, core::Project::Mode::kReadWrite);
  if (!opened) {
    const std::string& why = opened.status().message();
    // core's reasons start with the path, so it is not repeated here.
    core::logger()->error("cannot open project: {}", why);
    project_panel_->show_error(path, wxString::FromUTF8(why));
    SetStatusText("Cannot open project: " + wxString::FromUTF8(why), kStatusMessage);
    update_title();
    return false;
  }
  project_ = std::move(opened).value();
  const core::ProjectInfo info = project_->info();
  project_panel_->show_project(info);
  core::logger()->info("opened project '{}' at {} (schema {})", info.name, info.path, info.schema_version);
  SetStatusText("Opened " + wxString::FromUTF8(info.path), kStatusMessage);
  update_title();
  return true;
}

void MainFrame::reload_plugins() {
  // No plugin objects exist yet in this window, so the old host (and its records) can go;
  // the libraries themselves stay loaded in core's registry.
  const std::vector<std::string> dirs = core::PluginHost::default_search_dirs();
  auto host = std::make_unique<core::PluginHost>();
  host->load_dirs(dirs);
  plugins_ = std::move(host);
  plugins_panel_->show_records(plugins_->records(), dirs);

  int loaded = 0;
  for (const auto& r : plugins_->records()) loaded += r.status == core::PluginStatus::kLoaded ? 1 : 0;
  const int rejected = static_cast<int>(plugins_->records().size()) - loaded;
  core::logger()->info("plugins: {} loaded, {} rejected", loaded, rejected);
  SetStatusText(wxString::Format("Plugins: %d loaded, %d rejected", loaded, rejected), kStatusPlugins);
}

void MainFrame::update_title() {
  if (project_)
    SetTitle(wxString::FromUTF8(project_->info().name) + L" \u2014 " + kAppName);
  else
    SetTitle(kAppName);
}

}  // namespace kohl::gui
