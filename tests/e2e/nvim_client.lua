-- Drives `assetry lsp` from Neovim's built-in LSP client (headless), as a
-- user would: open a file with a broken reference and wait for its
-- diagnostic; put the cursor on a good reference and go to its definition.
--
-- Run: nvim --headless --clean -l tests/e2e/nvim_client.lua
-- Environment:
--   SERVER        the assetry binary
--   PROJECT       the project root (a workspace folder)
--   BROKEN_FILE   project-relative file holding the injected broken path
--   BROKEN_CODE   the diagnostic code expected there (e.g. broken-path)
--   BROKEN_LINE   its 0-based line
--   DEF_FILE      project-relative file holding a good reference
--   DEF_LINE, DEF_COL   0-based line and byte column of the cursor on it
--   DEF_TARGET    project-relative file the definition must open
-- Exits 0 when every step passed, 1 with a message on stderr otherwise.

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    io.stderr:write("missing environment variable " .. name .. "\n")
    os.exit(1)
  end
  return v
end

local server, project = env("SERVER"), env("PROJECT")
local timeout = 20000

local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  os.exit(1)
end

local function start_client(buf)
  return vim.lsp.start({
    name = "assetry",
    cmd = { server, "lsp" },
    root_dir = project,
    workspace_folders = { { uri = vim.uri_from_fname(project), name = "project" } },
  }, { bufnr = buf })
end

-- 1. The injected broken path is reported.
vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. env("BROKEN_FILE")))
local broken_buf = vim.api.nvim_get_current_buf()
local client_id = start_client(broken_buf)
if not client_id then
  fail("vim.lsp.start did not start a client")
end
local want_code, want_line = env("BROKEN_CODE"), tonumber(env("BROKEN_LINE"))
local got = vim.wait(timeout, function()
  for _, d in ipairs(vim.diagnostic.get(broken_buf)) do
    if d.code == want_code and d.lnum == want_line then
      return true
    end
  end
  return false
end, 20)
if not got then
  fail(("no %s diagnostic on line %d; got %s"):format(want_code, want_line, vim.inspect(vim.diagnostic.get(broken_buf))))
end
print("diagnostic ok: " .. want_code .. " on line " .. want_line)

-- 2. Go to definition on a good reference opens the target file.
vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. env("DEF_FILE")))
local def_buf = vim.api.nvim_get_current_buf()
start_client(def_buf)
vim.wait(timeout, function()
  return #vim.lsp.get_clients({ bufnr = def_buf, name = "assetry" }) > 0
end, 20)
vim.api.nvim_win_set_cursor(0, { tonumber(env("DEF_LINE")) + 1, tonumber(env("DEF_COL")) })
vim.lsp.buf.definition()
local target = vim.fs.normalize(project .. "/" .. env("DEF_TARGET"))
local opened = vim.wait(timeout, function()
  return vim.fs.normalize(vim.api.nvim_buf_get_name(0)) == target
end, 20)
if not opened then
  fail("definition did not open " .. target .. "; current buffer: " .. vim.api.nvim_buf_get_name(0))
end
print("definition ok: opened " .. target)

-- 3. Editing the buffer fixes the broken path: its diagnostic goes away.
vim.api.nvim_set_current_buf(broken_buf)
local fixed = env("FIX_TEXT")
vim.api.nvim_buf_set_lines(broken_buf, want_line, want_line + 1, false, { fixed })
local cleared = vim.wait(timeout, function()
  for _, d in ipairs(vim.diagnostic.get(broken_buf)) do
    if d.code == want_code and d.lnum == want_line then
      return false
    end
  end
  return true
end, 20)
if not cleared then
  fail("the diagnostic stayed after the fix: " .. vim.inspect(vim.diagnostic.get(broken_buf)))
end
print("edit ok: diagnostic cleared")

for _, c in ipairs(vim.lsp.get_clients({ name = "assetry" })) do
  c:stop()
end
vim.wait(5000, function()
  return #vim.lsp.get_clients({ name = "assetry" }) == 0
end, 20)
os.exit(0)
