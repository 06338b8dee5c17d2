// The kohl-studio main window, built for real (kohl_gui) under Xvfb: what it shows for a
// project, for no project and for a file it cannot open; that log lines from any thread
// reach the log pane; and a screenshot for people to look at (build/test-output/).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <wx/app.h>
#include <wx/image.h>
#include <wx/init.h>
#include <wx/listctrl.h>
#include <wx/menu.h>
#include <wx/statusbr.h>
#include <wx/utils.h>

#include "kohl/core/log.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/core/project.hpp"
#include "kohl/gui/log_panel.hpp"
#include "kohl/gui/main_frame.hpp"
#include "kohl/gui/plugins_panel.hpp"
#include "kohl/gui/project_panel.hpp"
#include "kohl/gui/screenshot.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using kohl::gui::MainFrame;
using kohl::gui::PluginsPanel;

namespace {

std::vector<std::string>& wx_assertions() {
  static std::vector<std::string> failed;
  return failed;
}

// wx is set up once per process: GTK cannot be initialised a second time after cleanup,
// so the session is never torn down (the process ends right after the tests).
void ensure_wx() {
  static const bool ready = [] {
    // A failed wx assertion would open a dialog nobody closes under Xvfb: record it and
    // let the test that caused it fail instead.
    wxSetAssertHandler([](const wxString& file, int line, const wxString&, const wxString& cond,
                          const wxString& msg) {
      wx_assertions().push_back((file + ":" + std::to_string(line) + ": " + cond + " " + msg).utf8_string());
    });
    wxApp::SetInstance(new wxApp);
    static int argc = 1;
    static char arg0[] = "kohl_gui_tests";
    static char* argv[] = {arg0, nullptr};
    if (!wxEntryStart(argc, argv)) return false;  // no display: run under xvfb-run
    wxTheApp->CallOnInit();
    wxImage::AddHandler(new wxPNGHandler);
    return true;
  }();
  REQUIRE(ready);
}

// Lets the window map, lay out and paint, and runs CallAfter'd log lines.
void pump(int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  do {
    wxTheApp->ProcessPendingEvents();
    wxYield();
    wxMilliSleep(10);
  } while (std::chrono::steady_clock::now() < until);
}

// Destroys the frame at the end of a test, also when a REQUIRE fails halfway.
struct FrameCloser {
  MainFrame* frame;
  ~FrameCloser() {
    frame->Destroy();
    pump(50);
  }
};

MainFrame* show_frame(const wxString& project_path) {
  auto* frame = new MainFrame(project_path);
  frame->SetClientSize(1100, 700);
  frame->Show();
  pump(800);
  return frame;
}

wxString cell(wxListCtrl* list, long row, int col) { return list->GetItemText(row, col); }

// Saves the frame to build/test-output/NAME and checks that the PNG holds a real picture.
void check_screenshot(MainFrame* frame, const std::string& name) {
  const fs::path out = kohl::test::build_dir() / "test-output" / name;
  fs::create_directories(out.parent_path());
  fs::remove(out);
  wxString error;
  REQUIRE(kohl::gui::save_client_area_png(frame, wxString::FromUTF8(out.string()), &error));
  INFO("screenshot: " << out.string() << " " << error.utf8_string());
  REQUIRE(fs::exists(out));

  wxImage image;
  REQUIRE(image.LoadFile(wxString::FromUTF8(out.string()), wxBITMAP_TYPE_PNG));
  CHECK(image.GetWidth() == frame->GetClientSize().x);
  CHECK(image.GetHeight() == frame->GetClientSize().y);
  CHECK(image.GetWidth() == 1100);
  CHECK(image.GetHeight() == 700);

  // Not one flat colour (a blank capture): text and widgets give many colours, and
  // there must be dark (text) and light (background) pixels.
  std::set<unsigned> colours;
  int dark = 0, light = 0;
  const unsigned char* p = image.GetData();
  const long n = static_cast<long>(image.GetWidth()) * image.GetHeight();
  for (long i = 0; i < n; ++i, p += 3) {
    colours.insert((unsigned{p[0]} << 16) | (unsigned{p[1]} << 8) | p[2]);
    const int luma = (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;
    dark += luma < 80 ? 1 : 0;
    light += luma > 200 ? 1 : 0;
  }
  CHECK(colours.size() > 16);
  CHECK(dark > 500);
  CHECK(light > n / 4);
}

}  // namespace

TEST_CASE("main window shows the project, its plugins and the log", "[gui][main_window]") {
  ensure_wx();
  wx_assertions().clear();
  kohl::test::ScratchDir dir("gui");
  const fs::path path = dir / "gui-test.kohl";
  {
    auto created = kohl::core::Project::create(path.string(), "GUI Test Project");
    REQUIRE(created.is_ok());
  }  // closed again: the window opens it itself

  MainFrame* frame = show_frame(wxString::FromUTF8(path.string()));
  FrameCloser closer{frame};

  REQUIRE(frame->project() != nullptr);
  CHECK(frame->GetTitle() == wxString::FromUTF8("GUI Test Project \xE2\x80\x94 Kohl Studio"));
  CHECK(frame->project_panel()->name_text() == "GUI Test Project");
  CHECK(frame->project_panel()->message_text().empty());
  CHECK(frame->GetStatusBar()->GetStatusText(0).Contains("gui-test.kohl"));

  SECTION("the plugin list has one row per record, rejected rows marked") {
    wxListCtrl* list = frame->plugins_panel()->list();
    const auto& records = frame->plugin_host().records();
    REQUIRE(list->GetItemCount() == static_cast<int>(records.size()));

    long flip = -1;
    int rejected = 0;
    for (long row = 0; row < list->GetItemCount(); ++row) {
      const auto& r = records[static_cast<std::size_t>(row)];
      INFO("row " << row << ": " << r.file << " " << r.reason);
      CHECK(cell(list, row, PluginsPanel::kColStatus) == kohl::core::to_string(r.status));
      CHECK(cell(list, row, PluginsPanel::kColReason) == wxString::FromUTF8(r.reason));
      if (r.status == kohl::core::PluginStatus::kRejected) {
        ++rejected;
        CHECK_FALSE(r.reason.empty());
        CHECK(list->GetItemTextColour(row) != list->GetTextColour());
        CHECK(list->GetItemBackgroundColour(row) != list->GetBackgroundColour());
      }
      if (cell(list, row, PluginsPanel::kColId) == "org.kohl.augment.flip" &&
          cell(list, row, PluginsPanel::kColStatus) == "loaded")
        flip = row;
    }
    REQUIRE(flip >= 0);
    CHECK(cell(list, flip, PluginsPanel::kColKind) == "augmenter");
    CHECK(cell(list, flip, PluginsPanel::kColFile) == "augment_basic.so");
    // Found through PluginHost::default_search_dirs(): ../plugins next to build/bin.
    CHECK(fs::equivalent(fs::path(records[static_cast<std::size_t>(flip)].file).parent_path(),
                         kohl::test::plugin_dir()));
    // Selecting a rejected row shows its full path and reason under the list.
    for (long row = 0; row < list->GetItemCount(); ++row) {
      const auto& r = records[static_cast<std::size_t>(row)];
      if (r.status != kohl::core::PluginStatus::kRejected) continue;
      list->SetItemState(row, wxLIST_STATE_SELECTED | wxLIST_STATE_FOCUSED,
                         wxLIST_STATE_SELECTED | wxLIST_STATE_FOCUSED);
      pump(50);
      CHECK(frame->plugins_panel()->detail_text().Contains(wxString::FromUTF8(r.file)));
      CHECK(frame->plugins_panel()->detail_text().Contains(wxString::FromUTF8(r.reason)));
      break;
    }
    // ctest points KOHL_PLUGIN_PATH at build/test-plugins, whose bad plugins are rejected.
    const char* extra = std::getenv("KOHL_PLUGIN_PATH");
    if (extra && std::string(extra).find("test-plugins") != std::string::npos) CHECK(rejected > 0);
  }

  SECTION("log lines reach the pane, also from other threads") {
    CHECK(frame->log_panel()->text().Contains("opened project 'GUI Test Project'"));
    std::thread worker([] { kohl::core::logger()->warn("hello from a worker thread"); });
    worker.join();
    pump(200);
    CHECK(frame->log_panel()->text().Contains("hello from a worker thread"));
  }

  SECTION("screenshot") {
    // Select the first rejected row, so the picture shows the detail line too.
    wxListCtrl* list = frame->plugins_panel()->list();
    for (long row = 0; row < list->GetItemCount(); ++row)
      if (list->GetItemText(row, PluginsPanel::kColStatus) == "rejected") {
        list->SetItemState(row, wxLIST_STATE_SELECTED, wxLIST_STATE_SELECTED);
        break;
      }
    pump(200);
    check_screenshot(frame, "gui-main-window.png");
  }

  CHECK(wx_assertions().empty());
}

TEST_CASE("without a project the window says so and offers File > Open", "[gui][main_window]") {
  ensure_wx();
  wx_assertions().clear();
  MainFrame* frame = show_frame(wxString());
  FrameCloser closer{frame};

  CHECK(frame->project() == nullptr);
  CHECK(frame->GetTitle() == "Kohl Studio");
  CHECK(frame->project_panel()->name_text() == "No project open");
  CHECK(frame->project_panel()->message_text().Contains("Ctrl+O"));

  wxMenuBar* bar = frame->GetMenuBar();
  REQUIRE(bar != nullptr);
  REQUIRE(bar->FindItem(wxID_OPEN) != nullptr);
  CHECK(bar->FindItem(wxID_OPEN)->GetItemLabel().Contains("\tCtrl+O"));
  REQUIRE(bar->FindItem(wxID_EXIT) != nullptr);
  CHECK(bar->FindItem(wxID_EXIT)->GetItemLabel().Contains("\tCtrl+Q"));
  REQUIRE(bar->FindItem(wxID_REFRESH) != nullptr);
  CHECK(bar->FindItem(wxID_REFRESH)->GetItemLabel().Contains("\tF5"));

  // F5: a second scan shows the same rows (libraries are not loaded twice).
  const int rows = frame->plugins_panel()->list()->GetItemCount();
  frame->reload_plugins();
  CHECK(frame->plugins_panel()->list()->GetItemCount() == rows);

  check_screenshot(frame, "gui-no-project.png");
  CHECK(wx_assertions().empty());
}

TEST_CASE("a file that is not a project is reported and the window still opens", "[gui][main_window]") {
  ensure_wx();
  wx_assertions().clear();
  kohl::test::ScratchDir dir("gui");
  const fs::path path = dir / "not-a-project.kohl";
  std::ofstream(path) << "this is not an SQLite database\n";

  MainFrame* frame = show_frame(wxString::FromUTF8(path.string()));
  FrameCloser closer{frame};

  CHECK(frame->project() == nullptr);
  CHECK(frame->IsShown());
  CHECK(frame->GetTitle() == "Kohl Studio");
  CHECK(frame->project_panel()->name_text() == "No project open");
  CHECK(frame->project_panel()->message_text().StartsWith("Cannot open"));
  CHECK(frame->GetStatusBar()->GetStatusText(0).StartsWith("Cannot open"));
  CHECK(frame->GetStatusBar()->GetStatusText(0).Contains("not-a-project.kohl"));
  CHECK(frame->log_panel()->text().Contains("cannot open project"));
  CHECK(wx_assertions().empty());
}
