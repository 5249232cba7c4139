-- Headless Neovim (0.7+) as a real LSP client: starts flask-sentinel-ls over stdio, opens a file, waits for
-- the pushed diagnostics and writes them as JSON to $FS_OUT. Driven by test/lsp/neovim.test.ts.
local server = os.getenv('FS_SERVER')
local file = os.getenv('FS_FILE')
local out = os.getenv('FS_OUT')
local received = nil

local client_id = vim.lsp.start_client({
  name = 'flask-sentinel',
  cmd = { 'node', server, '--stdio' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      if result and #result.diagnostics > 0 then
        received = result
      end
    end,
  },
})

vim.cmd('edit ' .. vim.fn.fnameescape(file))
vim.bo.filetype = 'python'
vim.lsp.buf_attach_client(0, client_id)

local ok = vim.wait(20000, function()
  return received ~= nil
end, 50)

local f = io.open(out, 'w')
if ok then
  local items = {}
  for _, d in ipairs(received.diagnostics) do
    table.insert(items, { code = d.code, line = d.range.start.line, character = d.range.start.character, source = d.source, message = d.message })
  end
  -- What Neovim itself now shows for the buffer, through its diagnostic API.
  f:write(vim.fn.json_encode({ uri = received.uri, diagnostics = items, shown = #vim.diagnostic.get(0) }))
else
  f:write(vim.fn.json_encode({ error = 'no diagnostics within 20 s' }))
end
f:close()
vim.lsp.stop_client(client_id)
vim.cmd('qa!')
