<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>Ablation</name>
        <message>
            <source>Unit &amp;importance (ablation)</source>
            <translation>单元重要性（消融）(&amp;I)</translation>
        </message>
        <message>
            <source>Rank the units by what silencing each one changes: a sortable list and a bar chart</source>
            <translation>按静默每个单元所引起的变化为单元排序：可排序的列表和柱状图</translation>
        </message>
    </context>
    <context>
        <name>Controls</name>
        <message>
            <source>Unit index</source>
            <translation>单元编号</translation>
        </message>
        <message>
            <source>Rows in unit order 0, 1, 2, …</source>
            <translation>按单元编号 0、1、2…… 排列各行</translation>
        </message>
        <message>
            <source>Variance over time</source>
            <translation>随时间的方差</translation>
        </message>
        <message>
            <source>Most active units (largest variance of h over time) first</source>
            <translation>最活跃的单元（h 随时间的方差最大）排在前面</translation>
        </message>
        <message>
            <source>Saturation</source>
            <translation>饱和度</translation>
        </message>
        <message>
            <source>Units whose gates sit most often near 0 or 1 first</source>
            <translation>门最常接近 0 或 1 的单元排在前面</translation>
        </message>
        <message>
            <source>Correlation with input</source>
            <translation>与输入的相关性</translation>
        </message>
        <message>
            <source>Units whose h follows the input most closely first</source>
            <translation>h 最紧密跟随输入的单元排在前面</translation>
        </message>
        <message>
            <source>forward</source>
            <translation>正向</translation>
        </message>
        <message>
            <source>backward</source>
            <translation>反向</translation>
        </message>
        <message>
            <source>Model</source>
            <translation>模型</translation>
        </message>
        <message>
            <source>Pretrained models that ship with gateviz, one per task and cell kind</source>
            <translation>gateviz 自带的预训练模型，每个任务和单元类型各一个</translation>
        </message>
        <message>
            <source>Open…</source>
            <translation>打开…</translation>
        </message>
        <message>
            <source>Open a model file: gateviz .gvm, PyTorch .pt/.pth/.safetensors, Keras .h5/.keras or ONNX .onnx (Ctrl+O). You can also drop a file on the window.</source>
            <translation>打开模型文件：gateviz .gvm、PyTorch .pt/.pth/.safetensors、Keras .h5/.keras 或 ONNX .onnx (Ctrl+O)。也可以把文件拖放到窗口上。</translation>
        </message>
        <message>
            <source>Train…</source>
            <translation>训练…</translation>
        </message>
        <message>
            <source>Train a small model on a built-in task and watch its loss (Ctrl+T)</source>
            <translation>在内置任务上训练一个小模型并观察其损失 (Ctrl+T)</translation>
        </message>
        <message>
            <source>Save…</source>
            <translation>保存…</translation>
        </message>
        <message>
            <source>Save the current model as a gateviz model file (.gvm) (Ctrl+S)</source>
            <translation>将当前模型保存为 gateviz 模型文件 (.gvm) (Ctrl+S)</translation>
        </message>
        <message>
            <source>Bundled models…</source>
            <translation>内置模型…</translation>
        </message>
        <message>
            <source>, bidirectional</source>
            <translation>，双向</translation>
        </message>
        <message>
            <source>{cell} {units} units, {layers} layer(s){bi}</source>
            <translation>{cell}，{units} 个单元，{layers} 层{bi}</translation>
        </message>
        <message>
            <source>input: {n} feature(s) per step</source>
            <translation>输入：每步 {n} 个特征</translation>
        </message>
        <message>
            <source>input: text, {n} characters</source>
            <translation>输入：文本，{n} 个字符</translation>
        </message>
        <message>
            <source>task: {task}</source>
            <translation>任务：{task}</translation>
        </message>
        <message>
            <source>from: {framework}</source>
            <translation>来源：{framework}</translation>
        </message>
        <message>
            <source>Input sequence</source>
            <translation>输入序列</translation>
        </message>
        <message>
            <source>Inputs chosen to tell a story for this model's task</source>
            <translation>为此模型的任务挑选的、能说明问题的输入</translation>
        </message>
        <message>
            <source>Load sequence file…</source>
            <translation>加载序列文件…</translation>
        </message>
        <message>
            <source>Read an input from .npy (T, features), .csv (one row per step) or .txt (text models)</source>
            <translation>从 .npy（T, 特征）、.csv（每步一行）或 .txt（文本模型）读取输入</translation>
        </message>
        <message>
            <source>(your own input)</source>
            <translation>（你自己的输入）</translation>
        </message>
        <message>
            <source>from {name}</source>
            <translation>来自 {name}</translation>
        </message>
        <message>
            <source>Units</source>
            <translation>单元</translation>
        </message>
        <message>
            <source>Which layer and direction every panel shows</source>
            <translation>所有面板显示哪一层、哪个方向</translation>
        </message>
        <message>
            <source>Order of the heatmap rows</source>
            <translation>热图各行的顺序</translation>
        </message>
        <message>
            <source>e.g. 0, 5, 12</source>
            <translation>例如 0, 5, 12</translation>
        </message>
        <message>
            <source>Pinned units (comma separated, up to 8): their traces, diagram values and text colouring. Clicking a heatmap row pins or unpins that unit.</source>
            <translation>已固定的单元（用逗号分隔，最多 8 个）：显示它们的曲线、结构图中的数值和文本着色。单击热图的某一行即可固定或取消固定该单元。</translation>
        </message>
        <message>
            <source>Layer</source>
            <translation>层</translation>
        </message>
        <message>
            <source>Sort rows</source>
            <translation>行排序</translation>
        </message>
        <message>
            <source>Pinned</source>
            <translation>已固定</translation>
        </message>
        <message>
            <source>layer {k}</source>
            <translation>第 {k} 层</translation>
        </message>
        <message>
            <source>{layer}  ({n} units)</source>
            <translation>{layer}（{n} 个单元）</translation>
        </message>
        <message>
            <source>unit {u}</source>
            <translation>单元 {u}</translation>
        </message>
    </context>
    <context>
        <name>Dashboard</name>
        <message>
            <source>Input and output</source>
            <translation>输入与输出</translation>
        </message>
        <message>
            <source>Gate heatmaps</source>
            <translation>门控热图</translation>
        </message>
        <message>
            <source>Unit traces</source>
            <translation>单元曲线</translation>
        </message>
        <message>
            <source>Cell diagram</source>
            <translation>单元结构图</translation>
        </message>
        <message>
            <source>Saturation</source>
            <translation>饱和度</translation>
        </message>
        <message>
            <source>Memory through time</source>
            <translation>随时间的记忆</translation>
        </message>
    </context>
    <context>
        <name>Docks</name>
        <message>
            <source>Unit importance</source>
            <translation>单元重要性</translation>
        </message>
        <message>
            <source>Interventions</source>
            <translation>干预</translation>
        </message>
        <message>
            <source>Controls</source>
            <translation>控制</translation>
        </message>
    </context>
    <context>
        <name>Errors</name>
        <message>
            <source>no such file: {name}</source>
            <translation>没有这个文件：{name}</translation>
        </message>
        <message>
            <source>{name} is a folder; choose a file</source>
            <translation>{name} 是文件夹；请选择一个文件</translation>
        </message>
        <message>
            <source>permission denied: {name}</source>
            <translation>没有权限：{name}</translation>
        </message>
        <message>
            <source>not enough memory for this model and input; try a shorter sequence</source>
            <translation>内存不足以处理此模型和输入；请尝试更短的序列</translation>
        </message>
        <message>
            <source>unexpected {kind}: {error}</source>
            <translation>意外的 {kind}：{error}</translation>
        </message>
        <message>
            <source>Replace file?</source>
            <translation>替换文件？</translation>
        </message>
        <message>
            <source>{path} already exists.
Do you want to replace it?</source>
            <translation>{path} 已存在。
要替换它吗？</translation>
        </message>
        <message>
            <source>{file} holds {n} recurrent modules. Which one should gateviz open?</source>
            <translation>{file} 包含 {n} 个循环模块。gateviz 应打开哪一个？</translation>
        </message>
        <message>
            <source>{file}: gateviz can open this recurrent module on its raw input features.</source>
            <translation>{file}：gateviz 可以以原始输入特征打开这个循环模块。</translation>
        </message>
        <message>
            <source>Choose a recurrent module</source>
            <translation>选择循环模块</translation>
        </message>
        <message>
            <source>The decoder needs its encoder's input</source>
            <translation>解码器需要其编码器的输入</translation>
        </message>
        <message>
            <source>{decoder} starts where its encoder {encoder} ends, from the encoder's final state.

Choose the encoder's input sequence (.npy, .csv or .txt): gateviz traces the encoder on it first and shows the encoder's steps, then the decoder's, on one time axis.</source>
            <translation>{decoder} 从其编码器 {encoder} 结束处开始，即从编码器的最终状态出发。

请选择编码器的输入序列（.npy、.csv 或 .txt）：gateviz 先用它运行编码器，再在同一条时间轴上先后显示编码器和解码器的各个时间步。</translation>
        </message>
        <message>
            <source>Choose encoder input…</source>
            <translation>选择编码器输入…</translation>
        </message>
        <message>
            <source>Open the encoder {encoder}</source>
            <translation>打开编码器 {encoder}</translation>
        </message>
        <message>
            <source>Input of the encoder {encoder}</source>
            <translation>编码器 {encoder} 的输入</translation>
        </message>
    </context>
    <context>
        <name>Interventions</name>
        <message>
            <source>&amp;Interventions</source>
            <translation>干预(&amp;I)</translation>
        </message>
        <message>
            <source>Interventions &amp;list</source>
            <translation>干预列表(&amp;L)</translation>
        </message>
        <message>
            <source>Show or hide the list of interventions, with their on/off switches (Ctrl+I)</source>
            <translation>显示或隐藏干预列表及各项的开关 (Ctrl+I)</translation>
        </message>
        <message>
            <source>&amp;Add…</source>
            <translation>添加(&amp;A)…</translation>
        </message>
        <message>
            <source>Type a spec: layer0.forward.forget_gate[8]=0@10: (checked as you type)</source>
            <translation>输入干预规格，例如 layer0.forward.forget_gate[8]=0@10:（输入时即检查）</translation>
        </message>
        <message>
            <source>&amp;Clear all</source>
            <translation>全部清除(&amp;C)</translation>
        </message>
        <message>
            <source>Remove every intervention and show the original run (Ctrl+Shift+Backspace)</source>
            <translation>移除所有干预，显示原始运行 (Ctrl+Shift+Backspace)</translation>
        </message>
        <message>
            <source>Lecture &amp;presets (whole layer)</source>
            <translation>课堂预设（整层）(&amp;P)</translation>
        </message>
        <message>
            <source>Show &amp;original beside intervened</source>
            <translation>在干预结果旁显示原始运行(&amp;O)</translation>
        </message>
        <message>
            <source>Draw the run without interventions faintly beside the intervened one (traces, the task's prediction)</source>
            <translation>在干预后的运行旁以淡色绘出未干预的运行（单元曲线、任务的预测）</translation>
        </message>
        <message>
            <source>Heatmaps: show &amp;difference</source>
            <translation>热图：显示差值(&amp;D)</translation>
        </message>
        <message>
            <source>Heatmaps show intervened − original: exactly what changed lights up</source>
            <translation>热图显示“干预后 − 原始”：发生变化之处一目了然</translation>
        </message>
    </context>
    <context>
        <name>Layouts</name>
        <message>
            <source>&amp;Dashboard (all five panels)</source>
            <translation>仪表板（全部五个面板）(&amp;D)</translation>
        </message>
        <message>
            <source>Every panel at once: input and output, heatmaps, cell diagram, unit traces, saturation</source>
            <translation>同时显示所有面板：输入与输出、热图、单元结构图、单元曲线、饱和度</translation>
        </message>
        <message>
            <source>&amp;Input and cell diagram</source>
            <translation>输入与单元结构图(&amp;I)</translation>
        </message>
        <message>
            <source>What the model reads and predicts above the cell that does it: the lecture's main view</source>
            <translation>上方是模型读到的输入和它的预测，下方是完成计算的单元：课堂的主视图</translation>
        </message>
        <message>
            <source>&amp;Heatmaps and unit traces</source>
            <translation>热图与单元曲线(&amp;H)</translation>
        </message>
        <message>
            <source>Every gate of every unit beside the pinned units' curves</source>
            <translation>所有单元的每个门，旁边是已固定单元的曲线</translation>
        </message>
        <message>
            <source>&amp;Cell diagram</source>
            <translation>单元结构图(&amp;C)</translation>
        </message>
        <message>
            <source>The cell diagram alone, as large as the window</source>
            <translation>只显示单元结构图，占满窗口</translation>
        </message>
        <message>
            <source>Gate heat&amp;maps</source>
            <translation>门控热图(&amp;M)</translation>
        </message>
        <message>
            <source>The gate heatmaps alone</source>
            <translation>只显示门控热图</translation>
        </message>
        <message>
            <source>Unit &amp;traces</source>
            <translation>单元曲线(&amp;T)</translation>
        </message>
        <message>
            <source>The pinned units' curves alone</source>
            <translation>只显示已固定单元的曲线</translation>
        </message>
        <message>
            <source>Input and &amp;output</source>
            <translation>输入与输出(&amp;O)</translation>
        </message>
        <message>
            <source>The task's input and the model's prediction alone</source>
            <translation>只显示任务的输入和模型的预测</translation>
        </message>
        <message>
            <source>&amp;Saturation</source>
            <translation>饱和度(&amp;S)</translation>
        </message>
        <message>
            <source>Karpathy's saturation scatter alone</source>
            <translation>只显示 Karpathy 的门饱和度散点图</translation>
        </message>
        <message>
            <source>&amp;Memory: input and gradients through time</source>
            <translation>记忆：输入与随时间的梯度(&amp;M)</translation>
        </message>
        <message>
            <source>Which earlier inputs matter for the output at the cursor: the input shaded by its connectivity above the gradient norms on a log axis, dy/dc per unit and the forget gates' product</source>
            <translation>哪些较早的输入影响光标处的输出：上方是按连通度着色的输入，下方是对数坐标上的梯度范数、各单元的 dy/dc 以及遗忘门的连乘积</translation>
        </message>
    </context>
    <context>
        <name>Loading</name>
        <message>
            <source>Sequences (*.npy *.csv *.txt);;All files (*)</source>
            <translation>序列 (*.npy *.csv *.txt);;所有文件 (*)</translation>
        </message>
        <message>
            <source>Model files</source>
            <translation>模型文件</translation>
        </message>
        <message>
            <source>All files</source>
            <translation>所有文件</translation>
        </message>
        <message>
            <source>Opening {name}…</source>
            <translation>正在打开 {name}…</translation>
        </message>
        <message>
            <source>; kept {name}</source>
            <translation>；保留 {name}</translation>
        </message>
        <message>
            <source>; open a model with File ▸ Open</source>
            <translation>；请通过“文件 ▸ 打开模型”打开一个模型</translation>
        </message>
        <message>
            <source>Cancelled opening {name}</source>
            <translation>已取消打开 {name}</translation>
        </message>
        <message>
            <source>Cancelled re-tracing with the interventions{kept} as shown</source>
            <translation>已取消带干预的重新计算{kept}，保持当前显示</translation>
        </message>
        <message>
            <source>Cancelled tracing the new input</source>
            <translation>已取消计算新的输入</translation>
        </message>
        <message>
            <source>Open model</source>
            <translation>打开模型</translation>
        </message>
        <message>
            <source>Open input sequence</source>
            <translation>打开输入序列</translation>
        </message>
        <message>
            <source>Cannot read the sequence</source>
            <translation>无法读取序列</translation>
        </message>
        <message>
            <source>Cannot open {name}</source>
            <translation>无法打开 {name}</translation>
        </message>
        <message>
            <source>Cannot show this input</source>
            <translation>无法显示此输入</translation>
        </message>
        <message>
            <source>this model</source>
            <translation>此模型</translation>
        </message>
        <message>
            <source>The panels draw NaN values in magenta. 'gateviz info' lists the tensors that hold NaN or Inf.</source>
            <translation>面板用品红色绘出 NaN 值。“gateviz info”会列出含有 NaN 或 Inf 的张量。</translation>
        </message>
        <message>
            <source>NaN or Inf in the model</source>
            <translation>模型中有 NaN 或 Inf</translation>
        </message>
        <message>
            <source>Something went wrong in {where}: {message}</source>
            <translation>{where} 中出错：{message}</translation>
        </message>
        <message>
            <source>{message}

(in {where})

The window keeps running; please report this with the text printed in the terminal.</source>
            <translation>{message}

（位于 {where}）

窗口仍可继续使用；请连同终端中打印的文字一起报告此问题。</translation>
        </message>
        <message>
            <source>Something went wrong</source>
            <translation>出错了</translation>
        </message>
        <message>
            <source>The encoder's steps are not drawn on this time axis ({why}); the decoder starts from its final state</source>
            <translation>编码器的时间步未画在这条时间轴上（{why}）；解码器从编码器的最终状态开始</translation>
        </message>
        <message>
            <source>Cannot trace this input</source>
            <translation>无法计算此输入</translation>
        </message>
        <message>
            <source>first {fit} of {steps} steps</source>
            <translation>{steps} 步中的前 {fit} 步</translation>
        </message>
        <message>
            <source>Tracing the {name}…</source>
            <translation>正在计算{name}…</translation>
        </message>
        <message>
            <source>Kept {name}</source>
            <translation>保留了 {name}</translation>
        </message>
        <message>
            <source>Input too long for the memory available</source>
            <translation>输入太长，可用内存不足</translation>
        </message>
        <message>
            <source>Tracing all {steps} steps needs about {needed}; only {usable} can be used now.

Trace the first {fit} steps instead?</source>
            <translation>计算全部 {steps} 步约需 {needed}；目前只有 {usable} 可用。

改为只计算前 {fit} 步吗？</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>Playback</source>
            <translation>播放</translation>
        </message>
        <message>
            <source>Loading the model…</source>
            <translation>正在加载模型…</translation>
        </message>
        <message>
            <source>Show or hide the {panel} panel</source>
            <translation>显示或隐藏“{panel}”面板</translation>
        </message>
        <message>
            <source>Save model</source>
            <translation>保存模型</translation>
        </message>
        <message>
            <source>gateviz model (*.gvm)</source>
            <translation>gateviz 模型 (*.gvm)</translation>
        </message>
        <message>
            <source>Cannot save the model</source>
            <translation>无法保存模型</translation>
        </message>
        <message>
            <source>Saved {path}</source>
            <translation>已保存 {path}</translation>
        </message>
        <message>
            <source>Clear list</source>
            <translation>清空列表</translation>
        </message>
        <message>
            <source>(no recent files)</source>
            <translation>（没有最近的文件）</translation>
        </message>
        <message>
            <source>Gate equations</source>
            <translation>门控方程</translation>
        </message>
        <message>
            <source>About gateviz</source>
            <translation>关于 gateviz</translation>
        </message>
        <message>
            <source>Watch every gate of an LSTM, GRU or RNN, step by step, and export it for lectures.</source>
            <translation>逐个时间步观察 LSTM、GRU 或 RNN 的每一个门，并导出用于课堂。</translation>
        </message>
        <message>
            <source>Notation: x_t the input at step t, h_{t−1} and c_{t−1} the states before it, c_t and h_t after;
⊙ the element-wise product; "_" starts a subscript.

LSTM (blocks i, f, g, o):
  i_t = σ(W_i x_t + U_i h_{t−1} + b_i)      input gate: how much new content is written
  f_t = σ(W_f x_t + U_f h_{t−1} + b_f)      forget gate: how much of c_{t−1} is kept
  g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)   cell candidate: the new content
  o_t = σ(W_o x_t + U_o h_{t−1} + b_o)      output gate
  c_t = f_t⊙c_{t−1} + i_t⊙g_t               kept + written
  h_t = o_t⊙tanh(c_t)

GRU (blocks r, z, n), PyTorch/Keras/ONNX convention (the default):
  r_t = σ(W_r x_t + U_r h_{t−1} + b_r)
  z_t = σ(W_z x_t + U_z h_{t−1} + b_z)
  n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))
  h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t          a high z_t keeps the old state
GRU, textbook convention (View ▸ GRU: textbook convention):
  h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t          the same cell: this z_t is 1 − the z_t above, h̃_t is n_t

RNN:
  h_t = tanh(W x_t + U h_{t−1} + b)</source>
            <translation>记号：x_t 为第 t 步的输入，h_{t−1} 和 c_{t−1} 为此前的状态，c_t 和 h_t 为此后的状态；
⊙ 为按元素乘法；“_”表示下标。

LSTM（分块 i、f、g、o）：
  i_t = σ(W_i x_t + U_i h_{t−1} + b_i)      输入门：写入多少新内容
  f_t = σ(W_f x_t + U_f h_{t−1} + b_f)      遗忘门：保留多少 c_{t−1}
  g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)   候选记忆元：新内容
  o_t = σ(W_o x_t + U_o h_{t−1} + b_o)      输出门
  c_t = f_t⊙c_{t−1} + i_t⊙g_t               保留的 + 写入的
  h_t = o_t⊙tanh(c_t)

GRU（分块 r、z、n），PyTorch/Keras/ONNX 约定（默认）：
  r_t = σ(W_r x_t + U_r h_{t−1} + b_r)      重置门
  z_t = σ(W_z x_t + U_z h_{t−1} + b_z)      更新门
  n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))   候选隐状态
  h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t          z_t 大时保留旧状态
GRU，教材约定（视图 ▸ GRU：教材约定）：
  h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t          同一个单元：这里的 z_t 是上式 z_t 的 1 − z_t，h̃_t 即 n_t

RNN：
  h_t = tanh(W x_t + U h_{t−1} + b)</translation>
        </message>
    </context>
    <context>
        <name>Menu</name>
        <message>
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <source>&amp;Open model…</source>
            <translation>打开模型(&amp;O)…</translation>
        </message>
        <message>
            <source>Open a model file (gateviz, PyTorch, Keras, ONNX)</source>
            <translation>打开模型文件（gateviz、PyTorch、Keras、ONNX）</translation>
        </message>
        <message>
            <source>Open &amp;recent</source>
            <translation>最近打开(&amp;R)</translation>
        </message>
        <message>
            <source>Open &amp;sequence…</source>
            <translation>打开序列(&amp;S)…</translation>
        </message>
        <message>
            <source>Feed the model an input from a .npy, .csv or .txt file</source>
            <translation>从 .npy、.csv 或 .txt 文件读取输入交给模型</translation>
        </message>
        <message>
            <source>&amp;Save model…</source>
            <translation>保存模型(&amp;S)…</translation>
        </message>
        <message>
            <source>Save the current model as a gateviz model file (.gvm)</source>
            <translation>将当前模型保存为 gateviz 模型文件 (.gvm)</translation>
        </message>
        <message>
            <source>&amp;Compare models…</source>
            <translation>比较模型(&amp;C)…</translation>
        </message>
        <message>
            <source>RNN vs LSTM vs GRU: 2 to 4 models on one input, side by side</source>
            <translation>RNN、LSTM 与 GRU 对比：2 至 4 个模型并排处理同一输入</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <source>Close gateviz</source>
            <translation>关闭 gateviz</translation>
        </message>
        <message>
            <source>&amp;Model</source>
            <translation>模型(&amp;M)</translation>
        </message>
        <message>
            <source>&amp;Bundled models</source>
            <translation>内置模型(&amp;B)</translation>
        </message>
        <message>
            <source>&amp;Train…</source>
            <translation>训练(&amp;T)…</translation>
        </message>
        <message>
            <source>Train a small model on a built-in task, with a live loss curve</source>
            <translation>在内置任务上训练一个小模型，实时显示损失曲线</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>视图(&amp;V)</translation>
        </message>
        <message>
            <source>&amp;Layout</source>
            <translation>布局(&amp;L)</translation>
        </message>
        <message>
            <source>&amp;Panels</source>
            <translation>面板(&amp;P)</translation>
        </message>
        <message>
            <source>&amp;Controls</source>
            <translation>控制(&amp;C)</translation>
        </message>
        <message>
            <source>Show or hide the model, input and unit controls</source>
            <translation>显示或隐藏模型、输入和单元的控制面板</translation>
        </message>
        <message>
            <source>Play&amp;back bar</source>
            <translation>播放栏(&amp;B)</translation>
        </message>
        <message>
            <source>Shade input by &amp;memory</source>
            <translation>按记忆为输入着色(&amp;M)</translation>
        </message>
        <message>
            <source>Shade each input step by how much the output at the cursor depends on it (||∂y/∂x_t||, the connectivity); the Memory panel shows the same as bars</source>
            <translation>按光标处的输出对每个输入时间步的依赖程度（||∂y/∂x_t||，即连通度）为其着色；“记忆”面板以柱状图显示同样的量</translation>
        </message>
        <message>
            <source>&amp;Theme</source>
            <translation>主题(&amp;T)</translation>
        </message>
        <message>
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <source>Light background for the window and every plot</source>
            <translation>窗口和所有图表使用浅色背景</translation>
        </message>
        <message>
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <source>Dark background for the window and every plot</source>
            <translation>窗口和所有图表使用深色背景</translation>
        </message>
        <message>
            <source>&amp;Presentation mode</source>
            <translation>演示模式(&amp;P)</translation>
        </message>
        <message>
            <source>Larger fonts and thicker lines for a lecture hall; hides the controls (View &gt; Controls shows them) (F5)</source>
            <translation>为阶梯教室使用更大的字体和更粗的线条；隐藏控制面板（“视图 &gt; 控制”可重新显示）(F5)</translation>
        </message>
        <message>
            <source>&amp;Colour map</source>
            <translation>颜色映射(&amp;C)</translation>
        </message>
        <message>
            <source>{name}: perceptually uniform and readable with colour-vision deficiencies</source>
            <translation>{name}：感知均匀，色觉障碍者也能分辨</translation>
        </message>
        <message>
            <source>Cell state: each &amp;unit to its own range</source>
            <translation>记忆元：每个单元使用各自的范围(&amp;U)</translation>
        </message>
        <message>
            <source>Draw each unit's cell state against that unit's own max |c| (heatmap rows, the cell diagram, the layer's c bars) instead of one range for all, so small units stay visible next to ones that grow large (Ctrl+U)</source>
            <translation>按每个单元自身的最大 |c| 绘制其记忆元（热图的行、单元结构图、该层的 c 柱），而不是所有单元共用一个范围，这样数值小的单元在数值很大的单元旁边仍然清晰可见 (Ctrl+U)</translation>
        </message>
        <message>
            <source>GRU: &amp;textbook convention, h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t</source>
            <translation>GRU：教材约定(&amp;T)，h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t</translation>
        </message>
        <message>
            <source>Show GRUs as textbooks write them: z_t is PyTorch's, Keras' and ONNX's 1 − z_t, so a high z_t writes the candidate h̃_t. Relabels the cell diagram, its formulas, the z heatmap and traces, the saturation of z and the status bar; trace files and CSV exports keep the frameworks' z. Off: the frameworks' h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t, where a high z_t keeps the old state.</source>
            <translation>按教材（如《动手学深度学习》）的写法显示 GRU：这里的 z_t 是 PyTorch、Keras 和 ONNX 中的 1 − z_t，因此 z_t 大时写入候选隐状态 h̃_t。单元结构图及其公式、z 的热图和曲线、z 的饱和度以及状态栏都随之改变；轨迹文件和 CSV 导出仍保留框架中的 z。关闭时使用框架的写法 h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t，z_t 大时保留旧状态。</translation>
        </message>
        <message>
            <source>L&amp;anguage</source>
            <translation>语言(&amp;A)</translation>
        </message>
        <message>
            <source>The interface and exported figures in {language}; switches at once and is remembered</source>
            <translation>界面和导出的图使用{language}；立即切换并记住此选择</translation>
        </message>
        <message>
            <source>&amp;Full screen</source>
            <translation>全屏(&amp;F)</translation>
        </message>
        <message>
            <source>Fill the screen with the window</source>
            <translation>窗口占满整个屏幕</translation>
        </message>
        <message>
            <source>&amp;Playback</source>
            <translation>播放(&amp;P)</translation>
        </message>
        <message>
            <source>Play / pause</source>
            <translation>播放 / 暂停</translation>
        </message>
        <message>
            <source>Step back</source>
            <translation>后退一步</translation>
        </message>
        <message>
            <source>Step forward</source>
            <translation>前进一步</translation>
        </message>
        <message>
            <source>Jump to start</source>
            <translation>跳到开头</translation>
        </message>
        <message>
            <source>Jump to end</source>
            <translation>跳到结尾</translation>
        </message>
        <message>
            <source>&amp;Loop</source>
            <translation>循环播放(&amp;L)</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <source>&amp;Gate equations</source>
            <translation>门控方程(&amp;G)</translation>
        </message>
        <message>
            <source>The equations every panel uses</source>
            <translation>所有面板所用的方程</translation>
        </message>
        <message>
            <source>&amp;About gateviz</source>
            <translation>关于 gateviz(&amp;A)</translation>
        </message>
        <message>
            <source>Version and what gateviz is</source>
            <translation>版本以及 gateviz 的简介</translation>
        </message>
    </context>
    <context>
        <name>Player</name>
        <message>
            <source>Jump to the first step (Home)</source>
            <translation>跳到第一步 (Home)</translation>
        </message>
        <message>
            <source>One step back (←)</source>
            <translation>后退一步 (←)</translation>
        </message>
        <message>
            <source>Play / pause (Space)</source>
            <translation>播放 / 暂停 (空格)</translation>
        </message>
        <message>
            <source>One step forward (→)</source>
            <translation>前进一步 (→)</translation>
        </message>
        <message>
            <source>Jump to the last step (End)</source>
            <translation>跳到最后一步 (End)</translation>
        </message>
        <message>
            <source>Time: drag to move every panel's cursor to that step</source>
            <translation>时间：拖动以把所有面板的光标移到该时间步</translation>
        </message>
        <message>
            <source>Current time step t / last step (steps count from 0)</source>
            <translation>当前时间步 t / 最后一步（从 0 开始计数）</translation>
        </message>
        <message>
            <source> steps/s</source>
            <translation> 步/秒</translation>
        </message>
        <message>
            <source>Playback speed in time steps per second</source>
            <translation>播放速度，单位为每秒时间步数</translation>
        </message>
        <message>
            <source>Loop</source>
            <translation>循环</translation>
        </message>
        <message>
            <source>Start again from step 0 after the last step</source>
            <translation>播放到最后一步后从第 0 步重新开始</translation>
        </message>
    </context>
    <context>
        <name>StatusBar</name>
        <message>
            <source>They would be unreadable at this window and font size. Enlarge the window, leave presentation mode (F5) or choose a layout with fewer panels (View ▸ Layout, Ctrl+1 … Ctrl+8).</source>
            <translation>在当前窗口和字号下它们将无法看清。请放大窗口、退出演示模式 (F5)，或选择面板较少的布局（视图 ▸ 布局，Ctrl+1 … Ctrl+8）。</translation>
        </message>
        <message>
            <source>no model</source>
            <translation>没有模型</translation>
        </message>
        <message>
            <source>The current model and input</source>
            <translation>当前的模型和输入</translation>
        </message>
        <message>
            <source>The first pinned unit's gates and states at the current step</source>
            <translation>第一个已固定单元在当前时间步的门和状态</translation>
        </message>
        <message>
            <source>Loading or tracing in the background; the window stays usable</source>
            <translation>正在后台加载或计算；窗口仍可使用</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Stop waiting for this job (Esc) and keep the model shown now</source>
            <translation>不再等待此任务 (Esc)，保留当前显示的模型</translation>
        </message>
        <message>
            <source>⚡ {n} intervention active</source>
            <translation>⚡ {n} 项干预生效中</translation>
        </message>
        <message>
            <source>⚡ {n} interventions active</source>
            <translation>⚡ {n} 项干预生效中</translation>
        </message>
        <message>
            <source>({n} more switched off)</source>
            <translation>（另有 {n} 项已关闭）</translation>
        </message>
        <message>
            <source>The shown run is intervened:</source>
            <translation>显示的是干预后的运行：</translation>
        </message>
        <message>
            <source>Click to show the Interventions list (Ctrl+I).</source>
            <translation>单击显示干预列表 (Ctrl+I)。</translation>
        </message>
        <message>
            <source>. Panels draw NaN in magenta; gateviz info MODEL names the tensors.</source>
            <translation>。面板用品红色绘出 NaN；gateviz info MODEL 会列出相应的张量。</translation>
        </message>
        <message>
            <source>unit {u}</source>
            <translation>单元 {u}</translation>
        </message>
        <message>
            <source>The first pinned unit's gates and states at the current step:</source>
            <translation>第一个已固定单元在当前时间步的门和状态：</translation>
        </message>
        <message>
            <source>under the mouse: {sym} of unit {unit} at t = {t}: {v}</source>
            <translation>鼠标处：单元 {unit} 在 t = {t} 时的 {sym}：{v}</translation>
        </message>
        <message>
            <source>{sym} of unit {unit}, t = {t}: {v}</source>
            <translation>单元 {unit} 的 {sym}，t = {t}：{v}</translation>
        </message>
        <message>
            <source>, </source>
            <translation>、</translation>
        </message>
        <message>
            <source>{n} panel left out</source>
            <translation>{n} 个面板未显示</translation>
        </message>
        <message>
            <source>{n} panels left out</source>
            <translation>{n} 个面板未显示</translation>
        </message>
        <message>
            <source>Not shown for lack of room: {names}.</source>
            <translation>因空间不足未显示：{names}。</translation>
        </message>
        <message>
            <source>working</source>
            <translation>处理中</translation>
        </message>
        <message>
            <source>{message}… {seconds} s</source>
            <translation>{message}… {seconds} 秒</translation>
        </message>
    </context>
</TS>
